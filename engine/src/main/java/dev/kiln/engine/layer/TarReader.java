package dev.kiln.engine.layer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a tar stream entry by entry with bounded memory, for archives nobody vouches for.
 *
 * <p>Commons Compress holds PAX headers and GNU long names in memory whole, so one header claiming
 * gigabytes would exhaust the heap: here the headers in front of an entry (PAX records, long names,
 * sparse maps, the header block itself) may total at most {@link #MAX_HEADER_BYTES}, as in Go's
 * archive/tar, which Docker and containerd use. Where Commons is lenient the reader refuses: a
 * header whose checksum does not match, a stream that ends inside a header, and data after a hard
 * link, symlink, device or FIFO header (Go reads those as header-only, so the two readers would see
 * different files). The stream is never closed: callers may read what follows.
 */
public final class TarReader {
  /** The most header bytes (all extension headers included) in front of one entry. */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  private final HeaderBudget budget;
  private final TarArchiveInputStream tar;
  private final InputStream content;
  private TarArchiveEntry current;
  private long count;

  public TarReader(InputStream in) {
    this.budget = new HeaderBudget(in);
    this.tar = new TarArchiveInputStream(budget);
    this.content = new EntryContent();
  }

  /** A tar stream the reader refuses: corrupt, truncated, ambiguous or oversized headers. */
  public static final class MalformedTarException extends IOException {
    MalformedTarException(String message) {
      super(message);
    }

    MalformedTarException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The next entry, or null at the end of the archive; what is left of the current is skipped. */
  public TarArchiveEntry next() throws IOException {
    if (current != null) {
      // Skipped here rather than by Commons, so that the budget below counts headers only.
      while (content.skip(Long.MAX_VALUE) > 0) {
        // skip returns 0 once the entry is used up
      }
    }
    TarArchiveEntry entry;
    budget.limit(MAX_HEADER_BYTES);
    try {
      entry = tar.getNextEntry();
    } catch (IOException | RuntimeException e) {
      if (budget.exceeded) {
        throw new MalformedTarException(
            where()
                + ": its headers (PAX records, long names) exceed "
                + (MAX_HEADER_BYTES >> 20)
                + " MiB",
            e);
      }
      throw new MalformedTarException(where() + ": corrupt header: " + e.getMessage(), e);
    } finally {
      budget.unlimit();
    }
    if (entry == null) {
      if (budget.partialRecord) {
        throw new MalformedTarException(where() + ": the stream ends inside its header");
      }
      current = null;
      return null;
    }
    count++;
    check(entry);
    current = entry;
    return entry;
  }

  /** The current entry's data; closing it does nothing. */
  public InputStream content() {
    return content;
  }

  private void check(TarArchiveEntry entry) throws MalformedTarException {
    String name = "tar entry \"" + entry.getName() + "\"";
    if (!entry.isCheckSumOK()) {
      throw new MalformedTarException(name + ": header checksum mismatch (corrupt tar)");
    }
    if (entry.getSize() < 0 || entry.getRealSize() < 0) {
      throw new MalformedTarException(name + ": negative size");
    }
    boolean headerOnly =
        entry.isLink()
            || entry.isSymbolicLink()
            || entry.isCharacterDevice()
            || entry.isBlockDevice()
            || entry.isFIFO();
    if (headerOnly && entry.getSize() != 0) {
      throw new MalformedTarException(
          name
              + ": a link, device or FIFO header with "
              + entry.getSize()
              + " bytes of data (other tar readers would read those bytes as headers)");
    }
    long paxBytes = 0;
    for (Map.Entry<String, String> header : entry.getExtraPaxHeaders().entrySet()) {
      paxBytes += header.getKey().length() + header.getValue().length();
    }
    if (paxBytes > MAX_HEADER_BYTES) {
      // Global PAX headers accumulate across entries; each one alone passed the budget.
      throw new MalformedTarException(
          name + ": its PAX records exceed " + (MAX_HEADER_BYTES >> 20) + " MiB");
    }
  }

  private String where() {
    return current == null
        ? "tar entry " + (count + 1)
        : "tar entry " + (count + 1) + " (after \"" + current.getName() + "\")";
  }

  /** Reads the current entry, turning a premature end into an error that names it. */
  private final class EntryContent extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (current == null) {
        return -1;
      }
      try {
        return tar.read(buffer, offset, length);
      } catch (IOException e) {
        throw cutShort(e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      if (current == null) {
        return 0;
      }
      try {
        return tar.skip(n);
      } catch (IOException e) {
        throw cutShort(e);
      }
    }

    private MalformedTarException cutShort(IOException e) {
      return new MalformedTarException(
          "tar entry \""
              + current.getName()
              + "\": its data ("
              + current.getSize()
              + " bytes) is cut short: "
              + e.getMessage(),
          e);
    }

    @Override
    public void close() {}
  }

  /**
   * Counts what Commons Compress reads while it parses headers and fails past the limit; notes a
   * stream that ends in the middle of a 512-byte record, which Commons takes for a clean end.
   */
  private static final class HeaderBudget extends FilterInputStream {
    private long remaining = -1;
    private long position;
    boolean exceeded;
    boolean partialRecord;

    HeaderBudget(InputStream in) {
      super(in);
    }

    void limit(long bytes) {
      remaining = bytes;
      exceeded = false;
    }

    void unlimit() {
      remaining = -1;
    }

    private int allowed(int wanted) throws IOException {
      if (remaining < 0) {
        return wanted;
      }
      if (remaining == 0) {
        exceeded = true;
        throw new IOException("tar headers exceed the limit");
      }
      return (int) Math.min(wanted, remaining);
    }

    private void consumed(long n) {
      if (n < 0) {
        partialRecord |= position % 512 != 0;
        return;
      }
      position += n;
      if (remaining > 0) {
        remaining -= n;
      }
    }

    @Override
    public int read() throws IOException {
      allowed(1);
      int b = super.read();
      consumed(b < 0 ? -1 : 1);
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      int n = super.read(buffer, offset, allowed(length));
      consumed(n);
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(remaining < 0 ? n : allowed((int) Math.min(n, Integer.MAX_VALUE)));
      consumed(skipped);
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}

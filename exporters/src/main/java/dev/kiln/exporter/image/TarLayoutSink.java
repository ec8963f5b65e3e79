package dev.kiln.exporter.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Date;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

/**
 * Writes layout files as a tar archive with fixed headers (owner 0:0 without names, time 0, mode
 * 0755 for directories and 0444 for files, as containerd's archive exporter), so equal images give
 * equal archives. Blob bodies go from the content store to the archive with {@code transferTo},
 * which the kernel copies file to file without passing the bytes through the JVM. Layout names are
 * short ({@code blobs/sha256/} and 64 hex digits), so every header is plain ustar; sizes from 8 GiB
 * on use the base-256 encoding GNU tar and Go read.
 */
public final class TarLayoutSink implements LayoutSink {
  private static final int RECORD = TarConstants.DEFAULT_RCDSIZE;
  private static final ZipEncoding UTF8 = ZipEncodingHelper.getZipEncoding("UTF-8");

  private final WritableByteChannel out;

  /** Writes to {@code out}, which the caller closes. */
  public TarLayoutSink(WritableByteChannel out) {
    this.out = out;
  }

  @Override
  public void directory(String name) throws IOException {
    header(name + "/", TarConstants.LF_DIR, 0755, 0);
  }

  @Override
  public void file(String name, byte[] bytes) throws IOException {
    header(name, TarConstants.LF_NORMAL, 0444, bytes.length);
    writeFully(ByteBuffer.wrap(bytes));
    pad(bytes.length);
  }

  @Override
  public void file(String name, long size, Path source) throws IOException {
    header(name, TarConstants.LF_NORMAL, 0444, size);
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
      if (in.size() != size) {
        throw new IOException(source + " has " + in.size() + " bytes, expected " + size);
      }
      for (long done = 0; done < size; ) {
        long n = in.transferTo(done, size - done, out);
        if (n <= 0 && in.size() < size) {
          throw new IOException(source + " shrank while being archived");
        }
        done += n;
      }
    }
    pad(size);
  }

  /** Writes the two zero records that end an archive. */
  public void finish() throws IOException {
    writeFully(ByteBuffer.allocate(2 * RECORD));
  }

  private void header(String name, byte type, int mode, long size) throws IOException {
    if (name.getBytes(StandardCharsets.UTF_8).length > TarConstants.NAMELEN) {
      throw new IllegalArgumentException("layout name too long for a tar header: " + name);
    }
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setMode(mode);
    entry.setUserId(0);
    entry.setGroupId(0);
    entry.setUserName("");
    entry.setGroupName("");
    entry.setModTime(new Date(0));
    entry.setSize(size);
    byte[] header = new byte[RECORD];
    entry.writeEntryHeader(header, UTF8, true);
    writeFully(ByteBuffer.wrap(header));
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % RECORD);
    if (rest != 0) {
      writeFully(ByteBuffer.allocate(RECORD - rest));
    }
  }

  private void writeFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }
}

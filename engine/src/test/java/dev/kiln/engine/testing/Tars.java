package dev.kiln.engine.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Builds small tar archives in memory for tests. */
public final class Tars {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

  public Tars() {
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
  }

  public Tars dir(String name, int mode) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_DIR, true);
    entry.setMode(mode);
    return put(entry, new byte[0]);
  }

  public Tars file(String name, String content, int mode) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_NORMAL, true);
    entry.setMode(mode);
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    entry.setSize(data.length);
    return put(entry, data);
  }

  public Tars symlink(String name, String target) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
    entry.setLinkName(target);
    return put(entry, new byte[0]);
  }

  public Tars hardlink(String name, String target) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_LINK, true);
    entry.setLinkName(target);
    return put(entry, new byte[0]);
  }

  public Tars put(TarArchiveEntry entry, byte[] data) {
    try {
      out.putArchiveEntry(entry);
      out.write(data);
      out.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  public byte[] tar() {
    try {
      out.finish();
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * A raw 512-byte ustar header with a valid checksum, for archives no tar writer would produce;
   * {@code size} is written in octal (12 digits at most).
   */
  public static byte[] header(String name, char type, long size) {
    byte[] header = new byte[512];
    ascii(header, 0, name);
    ascii(header, 100, "0000644");
    ascii(header, 108, "0000000");
    ascii(header, 116, "0000000");
    ascii(header, 124, String.format("%011o", size));
    ascii(header, 136, "00000000000");
    header[156] = (byte) type;
    ascii(header, 257, "ustar");
    ascii(header, 263, "00");
    return checksum(header);
  }

  /** A raw PAX header ({@code type} 'x' or 'g') holding one record, padded. */
  public static byte[] paxHeader(char type, String key, byte[] value) {
    int fixed = key.length() + value.length + 3; // ' ', '=', '\n'
    int length = fixed + Integer.toString(fixed).length();
    if (Integer.toString(length).length() != Integer.toString(fixed).length()) {
      length++;
    }
    byte[] record =
        concat(
            (length + " " + key + "=").getBytes(StandardCharsets.UTF_8), value, new byte[] {'\n'});
    return concat(header("PaxHeaders/x", type, record.length), padded(record));
  }

  /** Rewrites the checksum of {@code header} after it was edited; returns it. */
  public static byte[] checksum(byte[] header) {
    Arrays.fill(header, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    ascii(header, 148, String.format("%06o", sum));
    header[154] = 0;
    return header;
  }

  /** {@code data} padded with zeros to whole 512-byte records. */
  public static byte[] padded(byte[] data) {
    return Arrays.copyOf(data, (data.length + 511) / 512 * 512);
  }

  /** The two zero records that end an archive. */
  public static byte[] end() {
    return new byte[1024];
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }

  private static void ascii(byte[] header, int offset, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }

  public static byte[] gzip(byte[] data) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(buffer)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.toByteArray();
  }
}

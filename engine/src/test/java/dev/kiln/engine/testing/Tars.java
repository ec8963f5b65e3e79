package dev.kiln.engine.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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

package dev.kiln.exporter.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes layout files as a tar archive with fixed headers (owner 0:0 without names, time 0, mode
 * 0755 for directories and 0444 for files, as containerd's archive exporter), so equal images give
 * equal archives.
 */
public final class TarLayoutSink implements LayoutSink {
  private final TarArchiveOutputStream tar;

  public TarLayoutSink(OutputStream out) {
    this.tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  @Override
  public void directory(String name) throws IOException {
    TarArchiveEntry entry = entry(name + "/", TarConstants.LF_DIR, 0755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  @Override
  public void file(String name, byte[] bytes) throws IOException {
    file(name, bytes.length, new ByteArrayInputStream(bytes));
  }

  @Override
  public void file(String name, long size, InputStream content) throws IOException {
    TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, 0444);
    entry.setSize(size);
    tar.putArchiveEntry(entry);
    try (content) {
      long copied = content.transferTo(tar);
      if (copied != size) {
        throw new IOException(name + " has " + copied + " bytes, expected " + size);
      }
    }
    tar.closeArchiveEntry();
  }

  /** Writes the end-of-archive records and flushes; the stream under it stays open. */
  public void finish() throws IOException {
    tar.finish();
    tar.flush();
  }

  private static TarArchiveEntry entry(String name, byte type, int mode) {
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setMode(mode);
    entry.setUserId(0);
    entry.setGroupId(0);
    entry.setUserName("");
    entry.setGroupName("");
    entry.setModTime(new Date(0));
    return entry;
  }
}

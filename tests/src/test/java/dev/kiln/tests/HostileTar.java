package dev.kiln.tests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A tar archive written entry by entry exactly as given: names keep their leading slashes and
 * {@code ..} components, links point wherever they are told, as a hostile archive's do.
 */
final class HostileTar {
  /** One entry of the archive. */
  sealed interface Entry {
    String name();
  }

  record File(String name, String content) implements Entry {}

  record Symlink(String name, String target) implements Entry {}

  record Hardlink(String name, String target) implements Entry {}

  private final List<Entry> entries = new ArrayList<>();

  HostileTar file(String name, String content) {
    entries.add(new File(name, content));
    return this;
  }

  HostileTar symlink(String name, String target) {
    entries.add(new Symlink(name, target));
    return this;
  }

  HostileTar hardlink(String name, String target) {
    entries.add(new Hardlink(name, target));
    return this;
  }

  byte[] bytes() throws IOException {
    var bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry entry : entries) {
        // preserveAbsolutePath: Commons Compress would otherwise strip the leading slash.
        TarArchiveEntry header;
        if (entry instanceof Symlink s) {
          header = link(s.name(), TarConstants.LF_SYMLINK, s.target());
        } else if (entry instanceof Hardlink h) {
          header = link(h.name(), TarConstants.LF_LINK, h.target());
        } else {
          // preserveAbsolutePath: Commons Compress would otherwise strip the leading slash.
          header = new TarArchiveEntry(entry.name(), true);
        }
        byte[] content =
            entry instanceof File f ? f.content().getBytes(StandardCharsets.UTF_8) : new byte[0];
        header.setSize(content.length);
        header.setMode(entry instanceof Symlink ? 0120777 : 0100644);
        tar.putArchiveEntry(header);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** Writes the archive to {@code file}; returns it. */
  Path writeTo(Path file) throws IOException {
    Files.write(file, bytes());
    return file;
  }

  private static TarArchiveEntry link(String name, byte type, String target) {
    TarArchiveEntry header = new TarArchiveEntry(name, type, true);
    header.setLinkName(target);
    return header;
  }
}

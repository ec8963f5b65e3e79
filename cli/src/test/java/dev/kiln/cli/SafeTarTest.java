package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacking keeps every mode bit: a sticky {@code /tmp}, setuid and setgid programs. */
class SafeTarTest {
  @TempDir Path temp;

  @Test
  void stickySetuidAndSetgidBitsSurviveUnpacking() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry tmp = new TarArchiveEntry("tmp/");
      tmp.setMode(040000 | 01777);
      out.putArchiveEntry(tmp);
      out.closeArchiveEntry();
      for (String[] file : new String[][] {{"bin/su", "4755"}, {"bin/wall", "2755"}}) {
        TarArchiveEntry entry = new TarArchiveEntry(file[0]);
        entry.setMode(0100000 | Integer.parseInt(file[1], 8));
        entry.setSize(1);
        out.putArchiveEntry(entry);
        out.write('x');
        out.closeArchiveEntry();
      }
    }
    Path dir = Files.createDirectories(temp.resolve("out"));

    SafeTar.unpack(new ByteArrayInputStream(bytes.toByteArray()), dir, 1 << 20, 100);

    assertEquals(01777, mode(dir.resolve("tmp")));
    assertEquals(04755, mode(dir.resolve("bin/su")));
    assertEquals(02755, mode(dir.resolve("bin/wall")));
  }

  private static int mode(Path path) throws Exception {
    return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }
}

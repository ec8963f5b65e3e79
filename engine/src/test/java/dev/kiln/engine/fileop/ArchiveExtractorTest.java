package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.testing.Tars;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADD's unpacking of local archives, through a real copy action on real files. */
class ArchiveExtractorTest {
  @TempDir Path temp;
  Path rootfs;
  Path context;

  @BeforeEach
  void dirs() throws IOException {
    rootfs = Files.createDirectories(temp.resolve("rootfs"));
    context = Files.createDirectories(temp.resolve("context"));
  }

  /** Wraps the archive's file in a compressor. */
  private interface Compressor {
    OutputStream wrap(OutputStream file) throws IOException;
  }

  private void archive(String name, Compressor compressor, String... entries) throws IOException {
    try (OutputStream file = Files.newOutputStream(context.resolve(name));
        OutputStream raw = compressor.wrap(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
      for (String spec : entries) {
        String[] parts = spec.split("=", 2);
        TarArchiveEntry entry;
        if (parts[0].endsWith("/")) {
          entry = new TarArchiveEntry(parts[0]);
        } else if (parts[1].startsWith("->")) {
          entry = new TarArchiveEntry(parts[0], TarConstants.LF_SYMLINK);
          entry.setLinkName(parts[1].substring(2));
        } else {
          entry = new TarArchiveEntry(parts[0]);
          entry.setSize(parts[1].length());
          entry.setMode(0640);
        }
        tar.putArchiveEntry(entry);
        if (entry.isFile() && !entry.isSymbolicLink()) {
          tar.write(parts[1].getBytes(StandardCharsets.UTF_8));
        }
        tar.closeArchiveEntry();
      }
    }
  }

  private void add(String src, String dest) throws IOException {
    FileAction.Copy copy = FileAction.Copy.of(1, src, dest).unpacking();
    FileActionApplier.apply(copy, rootfs, List.of(rootfs, context), UserLookup.in(rootfs));
  }

  @Test
  void aGzippedTarIsUnpackedIntoTheDestination() throws IOException {
    archive(
        "app.tar.gz",
        GzipCompressorOutputStream::new,
        "app/=",
        "app/run.sh=echo hi",
        "app/link=->run.sh");
    add("/app.tar.gz", "/opt/");
    assertEquals("echo hi", Files.readString(rootfs.resolve("opt/app/run.sh")));
    assertEquals(
        0640, (Integer) Files.getAttribute(rootfs.resolve("opt/app/run.sh"), "unix:mode") & 07777);
    assertEquals(Path.of("run.sh"), Files.readSymbolicLink(rootfs.resolve("opt/app/link")));
    assertFalse(Files.exists(rootfs.resolve("opt/app.tar.gz")));
  }

  @Test
  void xzBzip2AndZstdTarsAreUnpackedLikeGzippedOnes() throws IOException {
    archive("a.tar.xz", XZCompressorOutputStream::new, "xz.txt=from xz");
    archive("b.tar.bz2", BZip2CompressorOutputStream::new, "bz.txt=from bzip2");
    archive("c.tar.zst", ZstdCompressorOutputStream::new, "zst.txt=from zstd");
    add("/a.tar.xz", "/x/");
    add("/b.tar.bz2", "/x/");
    add("/c.tar.zst", "/x/");
    assertEquals("from xz", Files.readString(rootfs.resolve("x/xz.txt")));
    assertEquals("from bzip2", Files.readString(rootfs.resolve("x/bz.txt")));
    assertEquals("from zstd", Files.readString(rootfs.resolve("x/zst.txt")));
  }

  @Test
  void aFileThatIsNoArchiveIsCopiedAsItIs() throws IOException {
    Files.writeString(context.resolve("notes.tar"), "just text, despite the name");
    add("/notes.tar", "/docs/");
    assertEquals("just text, despite the name", Files.readString(rootfs.resolve("docs/notes.tar")));
  }

  @Test
  void entriesThatClimbOutAreRejected() throws IOException {
    archive("evil.tar", out -> out, "../../escaped=boom");
    IOException e = assertThrows(IOException.class, () -> add("/evil.tar", "/opt/"));
    assertTrue(e.getMessage().contains("climbs out"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("escaped")));
  }

  @Test
  void symlinksInTheRootfsAreFollowedOnlyInsideIt() throws IOException {
    Path host = Files.createDirectories(temp.resolve("host"));
    Files.createDirectories(rootfs.resolve("opt"));
    Files.createSymbolicLink(rootfs.resolve("opt/etc"), host);
    archive("sneaky.tar", out -> out, "etc/passwd=owned");
    add("/sneaky.tar", "/opt/");
    assertFalse(Files.exists(host.resolve("passwd")), "wrote through a symlink to the host");
    // The absolute link is read as the rootfs would read it: from the rootfs's own /.
    Path insideRootfs = rootfs.resolve(host.toString().substring(1));
    assertEquals("owned", Files.readString(insideRootfs.resolve("passwd")));
  }

  @Test
  void aDirectoryLaterReplacedByASymlinkToTheHostKeepsItsModeInside() throws IOException {
    Path host = Files.createDirectories(temp.resolve("host/sub"));
    Files.setAttribute(host.getParent(), "unix:mode", 0755);
    Files.setAttribute(host, "unix:mode", 0755);
    byte[] tar =
        new Tars()
            .dir("d/", 0777)
            .symlink("d", host.getParent().toString())
            .dir("a/", 0755)
            .dir("a/sub/", 0777)
            .symlink("a", host.getParent().toString())
            .tar();
    Files.write(context.resolve("swap.tar"), tar);

    add("/swap.tar", "/opt/");

    // Directory modes are set after all entries; they used to be chmod'ed through the new link.
    assertEquals(0755, (Integer) Files.getAttribute(host.getParent(), "unix:mode") & 07777);
    assertEquals(0755, (Integer) Files.getAttribute(host, "unix:mode") & 07777);
    assertTrue(Files.isSymbolicLink(rootfs.resolve("opt/d")));
  }

  @Test
  void aHugePaxHeaderIsRefusedWithBoundedMemory() throws IOException {
    String name = "n".repeat(2 << 20);
    int fixed = name.length() + " path=\n".length();
    String record = (fixed + 7) + " path=" + name + "\n";
    byte[] pax = record.getBytes(StandardCharsets.US_ASCII);
    Files.write(
        context.resolve("huge.tar"),
        Tars.concat(
            Tars.header("PaxHeaders/x", 'x', pax.length),
            Tars.padded(pax),
            Tars.header("f", '0', 0),
            Tars.end()));

    IOException e = assertThrows(IOException.class, () -> add("/huge.tar", "/x/"));

    assertTrue(e.getMessage().contains("exceed 1 MiB"), e.getMessage());
    assertFalse(Files.exists(rootfs.resolve("x/f")));
  }

  @Test
  void aHeaderWithABadChecksumIsRefused() throws IOException {
    byte[] header = Tars.header("forged", '0', 0);
    header[0] = 'F';
    Files.write(context.resolve("corrupt.tar"), Tars.concat(header, Tars.end()));

    IOException e = assertThrows(IOException.class, () -> add("/corrupt.tar", "/x/"));

    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }
}

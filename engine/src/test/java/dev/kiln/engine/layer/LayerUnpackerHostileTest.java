package dev.kiln.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.kiln.engine.snapshot.OverlayFormat;
import dev.kiln.engine.testing.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile layer tars. Each test builds one attack and asserts the outcome (a clear error, or a safe
 * result) and that nothing outside the layer directory changed: a sentinel directory next to it,
 * holding the file most attacks aim at, is compared before and after, down to modes, mtimes, link
 * counts and xattrs. The tests run as root in CI, where an escape would really land.
 */
class LayerUnpackerHostileTest {
  @TempDir Path temp;
  Path layer;
  Path sentinel;
  Path secret;

  /** A host path outside the test directory that attacks through {@code /} aim at. */
  Path hostTarget;

  private Map<String, String> before;

  @BeforeEach
  void plantSentinel() throws IOException {
    layer = Files.createDirectory(temp.resolve("layer"));
    sentinel = Files.createDirectory(temp.resolve("sentinel"));
    secret = Files.writeString(sentinel.resolve("secret"), "untouched");
    Files.setAttribute(sentinel, "unix:mode", 0755);
    Files.setAttribute(secret, "unix:mode", 0600);
    Files.setLastModifiedTime(secret, FileTime.fromMillis(1_000_000_000_000L));
    Files.setLastModifiedTime(sentinel, FileTime.fromMillis(1_000_000_000_000L));
    hostTarget = Path.of("/tmp/kiln-hostile-" + UUID.randomUUID());
    before = outsideTheLayer();
  }

  @AfterEach
  void nothingOutsideTheLayerChanged() throws IOException {
    assertEquals(before, outsideTheLayer(), "something outside the layer directory changed");
    assertFalse(Files.exists(hostTarget, LinkOption.NOFOLLOW_LINKS), "wrote to " + hostTarget);
    assertTrue(Files.isDirectory(layer, LinkOption.NOFOLLOW_LINKS), "the layer dir was replaced");
  }

  private List<String> unpack(byte[] tar) throws IOException {
    return LayerUnpacker.unpack(new ByteArrayInputStream(tar), layer, DeviceNodes.CREATE);
  }

  private IOException refused(byte[] tar, String... expected) {
    IOException e = assertThrows(IOException.class, () -> unpack(tar));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "\"" + part + "\" not in: " + e.getMessage());
    }
    return e;
  }

  // --- tar-slip -------------------------------------------------------------------------------

  @Test
  void entriesClimbingOutWithDotDotAreRefused() {
    refused(
        new Tars().file("../sentinel/secret", "owned", 0644).tar(),
        "layer entry \"../sentinel/secret\" climbs out of the layer");
    refused(new Tars().file("a/../../sentinel/x", "owned", 0644).tar(), "climbs out");
    refused(new Tars().dir("../sentinel/d/", 0777).tar(), "climbs out");
  }

  @Test
  void absoluteEntryNamesAreRefused() {
    refused(new Tars().file(secret.toString(), "owned", 0644).tar(), "absolute");
    refused(new Tars().file(hostTarget.toString(), "owned", 0644).tar(), "absolute");
  }

  // --- symlink escapes ------------------------------------------------------------------------

  @Test
  void aFileThroughASymlinkFromTheSameTarIsRefused() {
    byte[] tar =
        new Tars().symlink("esc", sentinel.toString()).file("esc/secret", "owned", 0644).tar();

    refused(tar, "layer entry \"esc/secret\" goes through the symlink \"esc\"");
  }

  @Test
  void aFileThroughASymlinkAlreadyInTheLayerDirIsRefused() throws IOException {
    Files.createSymbolicLink(layer.resolve("esc"), sentinel);

    refused(new Tars().file("esc/planted", "owned", 0644).tar(), "symlink \"esc\"");
  }

  @Test
  void aSymlinkToTheHostRootCannotCarryLaterEntries() {
    String through = "root" + hostTarget + "/x";
    byte[] tar = new Tars().symlink("root", "/").file(through, "owned", 0644).tar();

    refused(tar, through, "symlink \"root\"");
  }

  @Test
  void aRelativeSymlinkClimbingOutCannotCarryLaterEntries() {
    byte[] tar =
        new Tars()
            .dir("a/", 0755)
            .symlink("a/up", "../../sentinel")
            .file("a/up/secret", "owned", 0644)
            .tar();

    refused(tar, "symlink \"a/up\"");
  }

  @Test
  void aDirectoryEntryThroughASymlinkIsRefused() {
    byte[] tar = new Tars().symlink("esc", sentinel.toString()).dir("esc/sub/", 0777).tar();

    refused(tar, "symlink \"esc\"");
  }

  @Test
  void aFileReplacesASymlinkInsteadOfWritingThroughIt() throws IOException {
    Files.createSymbolicLink(layer.resolve("old"), secret);
    byte[] tar =
        new Tars()
            .symlink("x", secret.toString())
            .file("x", "new", 0644)
            .file("old", "new too", 0644)
            .tar();

    unpack(tar);

    assertEquals("new", Files.readString(layer.resolve("x")));
    assertEquals("new too", Files.readString(layer.resolve("old")));
    assertFalse(Files.isSymbolicLink(layer.resolve("x")));
  }

  @Test
  void aDirectoryLaterReplacedByASymlinkDoesNotPassItsModeThrough() throws IOException {
    // Directory modes are applied after all entries; they used to be chmod'ed through the link.
    byte[] tar = new Tars().dir("d/", 0777).symlink("d", sentinel.toString()).tar();

    unpack(tar);

    assertEquals(sentinel, Files.readSymbolicLink(layer.resolve("d")));
  }

  @Test
  void aDirectoryWhoseParentIsLaterReplacedByASymlinkDoesNotPassItsModeThrough()
      throws IOException {
    Files.createDirectory(temp.resolve("host"));
    Files.createDirectory(temp.resolve("host/sub"));
    before = outsideTheLayer();
    byte[] tar =
        new Tars()
            .dir("a/", 0755)
            .dir("a/sub/", 0777)
            .symlink("a", temp.resolve("host").toString())
            .tar();

    unpack(tar);

    assertTrue(Files.isSymbolicLink(layer.resolve("a")));
  }

  @Test
  void aWhiteoutUnderADirectoryLaterReplacedByASymlinkStaysInside() throws IOException {
    // Whiteouts used to be made after all entries, through whatever the path had become.
    byte[] tar =
        new Tars()
            .dir("d/", 0755)
            .file("d/.wh.planted", "", 0644)
            .symlink("d", sentinel.toString())
            .tar();

    unpack(tar);

    assertFalse(Files.exists(sentinel.resolve("planted"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aWhiteoutThroughASymlinkIsRefused() {
    byte[] tar =
        new Tars().symlink("esc", sentinel.toString()).file("esc/.wh.secret", "", 0644).tar();

    refused(tar, "symlink \"esc\"");
  }

  @Test
  void anOpaqueMarkerThroughASymlinkIsRefused() throws IOException {
    byte[] tar =
        new Tars().symlink("esc", sentinel.toString()).file("esc/.wh..wh..opq", "", 0644).tar();

    refused(tar, "symlink \"esc\"");
    assertFalse(OverlayFormat.isOpaque(sentinel));
  }

  // --- whiteouts that name no file ------------------------------------------------------------

  @Test
  void aWhiteoutOfDotDotIsRefused() {
    // ".wh..." whites out "..": it used to delete the layer's parent directory recursively.
    refused(new Tars().file(".wh...", "", 0644).tar(), "whites out \"..\"");
    refused(new Tars().dir("d/", 0755).file("d/.wh...", "", 0644).tar(), "whites out \"..\"");
  }

  @Test
  void aWhiteoutOfDotOrOfNothingIsRefused() {
    // ".wh." used to replace the layer directory itself with a whiteout device.
    refused(new Tars().file(".wh.", "", 0644).tar(), "whites out \"\"");
    refused(new Tars().file(".wh..", "", 0644).tar(), "whites out \".\"");
  }

  @Test
  void aRootEntryThatIsNotADirectoryIsRefused() {
    refused(new Tars().symlink("./", sentinel.toString()).tar(), "layer root");
  }

  // --- hard links -----------------------------------------------------------------------------

  @Test
  void aHardLinkToAnAbsoluteHostPathIsRefused() throws IOException {
    Object passwdLinks = Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink");

    refused(new Tars().hardlink("passwd", "/etc/passwd").tar(), "absolute");
    refused(new Tars().hardlink("secret", secret.toString()).tar(), "absolute");

    assertEquals(passwdLinks, Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink"));
    assertFalse(Files.exists(layer.resolve("passwd")));
  }

  @Test
  void aHardLinkClimbingOutIsRefused() {
    refused(
        new Tars().hardlink("stolen", "../sentinel/secret").tar(),
        "hard link target \"../sentinel/secret\" of layer entry \"stolen\" climbs out");
    assertFalse(Files.exists(layer.resolve("stolen")));
  }

  @Test
  void aHardLinkThroughASymlinkIsRefused() {
    byte[] tar =
        new Tars().symlink("up", sentinel.toString()).hardlink("stolen", "up/secret").tar();

    refused(tar, "hard link target \"up/secret\"", "symlink \"up\"");
    assertFalse(Files.exists(layer.resolve("stolen")));
  }

  @Test
  void aHardLinkToAFileNotInThisLayerIsRefusedWithoutCreatingItsParents() {
    refused(
        new Tars().hardlink("alias", "usr/lib/lower/file").tar(),
        "hard link target \"usr/lib/lower/file\" of layer entry \"alias\" is not in this layer");
    assertFalse(Files.exists(layer.resolve("usr")));
  }

  @Test
  void aHardLinkToASymlinkLinksTheSymlinkItselfNotItsTarget() throws IOException {
    byte[] tar = new Tars().symlink("s", secret.toString()).hardlink("h", "s").tar();

    unpack(tar);

    assertTrue(Files.isSymbolicLink(layer.resolve("h")));
    assertEquals(secret, Files.readSymbolicLink(layer.resolve("h")));
  }

  @Test
  void aHardLinkToADirectoryIsRefused() {
    refused(new Tars().dir("d/", 0755).hardlink("h", "d").tar(), "directory");
  }

  // --- huge and malformed headers -------------------------------------------------------------

  @Test
  void aPaxHeaderClaimingGigabytesIsRefusedWithBoundedMemory() {
    Endless tar =
        new Endless(
            Tars.concat(
                Tars.header("PaxHeaders/x", 'x', 8L << 30),
                "1073741900 path=".getBytes(StandardCharsets.US_ASCII)));

    IOException e =
        assertThrows(
            IOException.class,
            () -> LayerUnpacker.unpack(tar, layer, DeviceNodes.CREATE),
            "must not read gigabytes into memory");

    assertInstanceOf(TarReader.MalformedTarException.class, e);
    assertTrue(
        e.getMessage().contains("headers (PAX records, long names) exceed 1 MiB"), e.getMessage());
    assertTrue(tar.read < 2 << 20, "read " + tar.read + " bytes of headers");
  }

  @Test
  void aGnuLongNameOfGigabytesIsRefusedWithBoundedMemory() {
    Endless tar = new Endless(Tars.header("././@LongLink", 'L', 8L << 30));

    IOException e =
        assertThrows(IOException.class, () -> LayerUnpacker.unpack(tar, layer, DeviceNodes.CREATE));

    assertTrue(e.getMessage().contains("exceed 1 MiB"), e.getMessage());
    assertTrue(tar.read < 2 << 20, "read " + tar.read + " bytes of headers");
  }

  @Test
  void aNameOfMegabytesIsRefused() {
    // Raw bytes: Commons Compress takes minutes to write a name this long.
    String name = "d/" + "n".repeat(2 << 20);
    byte[] longName = Tars.concat(pax('x', "path", name), Tars.header("short", '0', 0), Tars.end());
    byte[] longTarget =
        Tars.concat(
            Tars.header("first", '0', 0),
            pax('x', "linkpath", "t".repeat(2 << 20)),
            Tars.header("s", '2', 0),
            Tars.end());

    refused(longName, "tar entry 1:", "exceed 1 MiB");
    refused(longTarget, "tar entry 2 (after \"first\")", "exceed 1 MiB");
  }

  @Test
  void globalPaxHeadersCannotAccumulatePastTheLimit() {
    byte[] value = "v".repeat(700_000).getBytes(StandardCharsets.US_ASCII);
    byte[] tar =
        Tars.concat(
            global("first", value),
            Tars.header("one", '0', 0),
            global("second", value),
            Tars.header("two", '0', 0),
            Tars.end());

    refused(tar, "tar entry \"two\"", "PAX records exceed 1 MiB");
  }

  @Test
  void aTarCutInsideFileDataIsRefused() {
    byte[] whole = new Tars().file("big", "x".repeat(2000), 0644).tar();

    refused(Arrays.copyOf(whole, 512 + 700), "tar entry \"big\"", "cut short");
  }

  @Test
  void aTarCutInsideAHeaderIsRefused() {
    byte[] whole = new Tars().file("a", "a", 0644).file("b", "b", 0644).tar();

    refused(Arrays.copyOf(whole, 1024 + 100), "tar entry 2 (after \"a\")", "ends inside");
  }

  @Test
  void aSizeFieldBeyondTheStreamIsRefused() {
    byte[] tar = Tars.concat(Tars.header("huge", '0', 8L << 30), new byte[4096]);

    refused(tar, "tar entry \"huge\"", "8589934592 bytes", "cut short");
  }

  @Test
  void aNegativeSizeIsRefused() {
    byte[] header = Tars.header("negative", '0', 0);
    Arrays.fill(header, 124, 136, (byte) 0xff); // base-256: -1
    byte[] tar = Tars.concat(Tars.checksum(header), Tars.end());

    refused(tar, "tar entry 1", "negative");
  }

  @Test
  void aSizeOverflowingALongIsRefused() {
    byte[] header = Tars.header("overflow", '0', 0);
    header[124] = (byte) 0x80; // base-256, positive, 95 bits
    Arrays.fill(header, 125, 136, (byte) 0x7f);
    byte[] tar = Tars.concat(Tars.checksum(header), Tars.end());

    refused(tar, "tar entry 1", "corrupt header");
  }

  @Test
  void aPaxSizeOverflowingALongIsRefused() {
    byte[] tar =
        Tars.concat(
            pax('x', "size", "99999999999999999999999"), Tars.header("f", '0', 0), Tars.end());

    refused(tar, "tar entry 1", "corrupt header");
  }

  @Test
  void aHeaderWithABadChecksumIsRefused() {
    byte[] header = Tars.header("forged", '0', 0);
    header[0] = 'F';

    refused(Tars.concat(header, Tars.end()), "tar entry \"Forged\"", "checksum");
  }

  @Test
  void aSymlinkHeaderCarryingDataIsRefused() {
    // Go's archive/tar (Docker, containerd, scanners) reads "hidden" as the next entry; Commons
    // would read it as the symlink's data. Two readers must not see two different layers.
    byte[] link = Tars.header("s", '2', 512);
    byte[] tar = Tars.concat(link, Tars.header("hidden", '0', 0), Tars.end());

    refused(tar, "tar entry \"s\"", "512 bytes of data");
  }

  @Test
  void unknownEntryTypesAreRefused() {
    byte[] tar = Tars.concat(Tars.header("odd", 'Q', 0), Tars.end());

    refused(tar, "layer entry \"odd\"", "unsupported tar type 'Q'");
  }

  // --- xattrs ---------------------------------------------------------------------------------

  @Test
  void forgedOverlayXattrsAreDropped() throws IOException {
    TarArchiveEntry dir = new TarArchiveEntry("d/", TarArchiveEntry.LF_DIR, true);
    dir.setMode(0755);
    dir.addPaxHeader("SCHILY.xattr.trusted.overlay.opaque", "y");
    dir.addPaxHeader("SCHILY.xattr.user.overlay.opaque", "y");
    TarArchiveEntry file = new TarArchiveEntry("d/f", TarArchiveEntry.LF_NORMAL, true);
    file.setSize(1);
    file.addPaxHeader("SCHILY.xattr.trusted.overlay.redirect", "/etc");
    file.addPaxHeader("SCHILY.xattr.user.comment", "kept");
    byte[] tar = new Tars().put(dir, new byte[0]).put(file, "f".getBytes()).tar();

    List<String> warnings = unpack(tar);

    assertEquals(List.of("user.comment"), Xattrs.list(layer.resolve("d/f")));
    assertEquals(List.of(), Xattrs.list(layer.resolve("d")));
    assertFalse(OverlayFormat.isOpaque(layer.resolve("d")));
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("overlay."), warnings.get(0));
    assertTrue(warnings.get(0).contains("(and 2 more)"), warnings.get(0));
  }

  // --- device nodes ---------------------------------------------------------------------------

  @Test
  void deviceNodesWithoutCapMknodAreSkippedWithOneWarning() throws IOException {
    byte[] tar =
        new Tars()
            .put(device("dev/sda", TarArchiveEntry.LF_BLK, 8, 0), new byte[0])
            .put(device("dev/mem", TarArchiveEntry.LF_CHR, 1, 1), new byte[0])
            .put(device("dev/kmsg", TarArchiveEntry.LF_CHR, 1, 11), new byte[0])
            .put(device("run/fifo", TarArchiveEntry.LF_FIFO, 0, 0), new byte[0])
            .tar();

    List<String> warnings =
        LayerUnpacker.unpack(new ByteArrayInputStream(tar), layer, DeviceNodes.SKIP);

    assertFalse(Files.exists(layer.resolve("dev/sda"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(layer.resolve("dev/mem"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(
        List.of(
            "skipped the device node layer entry \"dev/sda\": creating device nodes needs"
                + " CAP_MKNOD, which this process lacks (and 2 more)"),
        warnings);
    assertEquals(0010000, mode(layer.resolve("run/fifo")) & 0170000, "FIFOs need no privilege");
  }

  // --- helpers --------------------------------------------------------------------------------

  static TarArchiveEntry device(String name, byte type, int major, int minor) {
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setMode(0666);
    entry.setDevMajor(major);
    entry.setDevMinor(minor);
    return entry;
  }

  static int mode(Path path) throws IOException {
    return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
  }

  /** A PAX header ({@code type} 'x' or 'g') holding one record. */
  static byte[] pax(char type, String key, String value) {
    return Tars.paxHeader(type, key, value.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] global(String key, byte[] value) {
    return Tars.paxHeader('g', key, value);
  }

  /**
   * Everything under the test directory except the layer: kind, mode, owner, size, mtime, link
   * count, xattrs, and the content of files and links.
   */
  private Map<String, String> outsideTheLayer() throws IOException {
    Map<String, String> state = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(temp)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        if (path.startsWith(layer) && !path.equals(layer)) {
          continue;
        }
        Map<String, Object> attrs =
            new TreeMap<>(
                Files.readAttributes(
                    path,
                    "unix:mode,uid,gid,size,nlink,lastModifiedTime",
                    LinkOption.NOFOLLOW_LINKS));
        String content = "";
        if (Files.isSymbolicLink(path)) {
          content = Files.readSymbolicLink(path).toString();
        } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
          content = Files.readString(path);
        }
        String xattrs = Files.isSymbolicLink(path) ? "" : Xattrs.list(path).toString();
        if (path.equals(layer)) {
          attrs.remove("lastModifiedTime");
          attrs.remove("nlink");
          attrs.remove("mode");
          attrs.remove("size");
          xattrs = "";
        }
        state.put(temp.relativize(path).toString(), attrs + content + xattrs);
      }
    }
    return state;
  }

  /** A prefix, then 'a' forever; counts what was read. */
  static final class Endless extends InputStream {
    private final InputStream prefix;
    long read;

    Endless(byte[] prefix) {
      this.prefix =
          new SequenceInputStream(new ByteArrayInputStream(prefix), InputStream.nullInputStream());
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (read > 64 << 20) {
        throw new AssertionError("read 64 MiB of one header: memory is not bounded");
      }
      int n = prefix.read(buffer, offset, length);
      if (n < 0) {
        Arrays.fill(buffer, offset, offset + length, (byte) 'a');
        n = length;
      }
      read += n;
      return n;
    }
  }

  /** Lists every xattr (all namespaces, as root) of a path without following it. */
  static final class Xattrs {
    interface Api extends Library {
      long llistxattr(String path, byte[] list, long size) throws LastErrorException;

      long lgetxattr(String path, String name, byte[] value, long size) throws LastErrorException;
    }

    private static final Api C = Native.load("c", Api.class);

    static byte[] get(Path path, String name) {
      byte[] buffer = new byte[65536];
      long n = C.lgetxattr(path.toString(), name, buffer, buffer.length);
      return Arrays.copyOf(buffer, (int) n);
    }

    static List<String> list(Path path) {
      byte[] buffer = new byte[65536];
      long n = C.llistxattr(path.toString(), buffer, buffer.length);
      return Arrays.stream(new String(buffer, 0, (int) n, StandardCharsets.UTF_8).split("\0"))
          .filter(name -> !name.isEmpty())
          .sorted()
          .toList();
    }
  }
}

package dev.kiln.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.fileop.PosixMetadata;
import dev.kiln.engine.snapshot.OverlayFormat;
import dev.kiln.engine.testing.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerUnpackerTest {
  @TempDir Path temp;

  private Path layer() throws IOException {
    return Files.createDirectory(temp.resolve("layer"));
  }

  private static void unpack(byte[] tar, Path dir) throws IOException {
    LayerUnpacker.unpack(new ByteArrayInputStream(tar), dir);
  }

  @Test
  void regularFilesDirectoriesAndSymlinksKeepModesOwnersAndMtimes() throws IOException {
    Path layer = layer();
    TarArchiveEntry owned = new TarArchiveEntry("etc/owned", TarArchiveEntry.LF_NORMAL, true);
    owned.setMode(04755);
    owned.setIds(1000, 1001);
    owned.setSize(2);
    owned.setModTime(1_600_000_000_000L);
    TarArchiveEntry dir = new TarArchiveEntry("etc/", TarArchiveEntry.LF_DIR, true);
    dir.setMode(0750);
    dir.setModTime(1_500_000_000_000L);
    byte[] tar =
        new Tars()
            .put(dir, new byte[0])
            .put(owned, "hi".getBytes())
            .symlink("etc/link", "/etc/owned")
            .tar();

    unpack(tar, layer);

    Path file = layer.resolve("etc/owned");
    assertEquals("hi", Files.readString(file));
    assertEquals(04755, PosixMetadata.mode(file));
    assertEquals(1000, Files.getAttribute(file, "unix:uid"));
    assertEquals(1001, Files.getAttribute(file, "unix:gid"));
    assertEquals(FileTime.fromMillis(1_600_000_000_000L), Files.getLastModifiedTime(file));
    assertEquals(Path.of("/etc/owned"), Files.readSymbolicLink(layer.resolve("etc/link")));
    assertEquals(0750, PosixMetadata.mode(layer.resolve("etc")));
    assertEquals(
        FileTime.fromMillis(1_500_000_000_000L), Files.getLastModifiedTime(layer.resolve("etc")));
  }

  @Test
  void whiteoutsBecomeCharacterDevicesAndOpaqueMarkersBecomeXattrs() throws IOException {
    Path layer = layer();
    byte[] tar =
        new Tars()
            .dir("a/", 0755)
            .file("a/.wh.gone", "", 0644)
            .file(".wh.top", "", 0644)
            .dir("b/", 0755)
            .file("b/.wh..wh..opq", "", 0644)
            .file("b/kept", "k", 0644)
            .tar();

    unpack(tar, layer);

    assertTrue(OverlayFormat.isWhiteout(layer.resolve("a/gone")));
    assertTrue(OverlayFormat.isWhiteout(layer.resolve("top")));
    assertFalse(Files.exists(layer.resolve("a/.wh.gone"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(OverlayFormat.isOpaque(layer.resolve("b")));
    assertFalse(OverlayFormat.isOpaque(layer.resolve("a")));
    assertFalse(Files.exists(layer.resolve("b/.wh..wh..opq")));
    assertEquals("k", Files.readString(layer.resolve("b/kept")));
  }

  @Test
  void hardlinksShareTheInodeOfTheirTarget() throws IOException {
    Path layer = layer();
    byte[] tar = new Tars().file("bin/tool", "x", 0755).hardlink("bin/alias", "bin/tool").tar();

    unpack(tar, layer);

    assertEquals(
        Files.getAttribute(layer.resolve("bin/tool"), "unix:ino"),
        Files.getAttribute(layer.resolve("bin/alias"), "unix:ino"));
  }

  @Test
  void dotSlashPrefixedNamesLandInsideTheLayer() throws IOException {
    Path layer = layer();
    unpack(new Tars().dir("./", 0755).file("./x/y", "y", 0644).tar(), layer);

    assertEquals("y", Files.readString(layer.resolve("x/y")));
  }

  @Test
  void climbingOutWithDotDotIsRejectedAndWritesNothingOutside() throws IOException {
    Path layer = layer();
    byte[] tar = new Tars().file("../escaped", "bad", 0644).tar();

    IOException e = assertThrows(IOException.class, () -> unpack(tar, layer));

    assertTrue(e.getMessage().contains("../escaped"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("escaped")));
  }

  @Test
  void absolutePathsAreRejected() throws IOException {
    Path layer = layer();
    byte[] tar = new Tars().file(temp.resolve("abs").toString(), "bad", 0644).tar();

    IOException e = assertThrows(IOException.class, () -> unpack(tar, layer));

    assertTrue(e.getMessage().contains("absolute"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("abs")));
  }

  @Test
  void writingThroughASymlinkedParentIsRejected() throws IOException {
    Path layer = layer();
    Path outside = Files.createDirectory(temp.resolve("outside"));
    byte[] tar = new Tars().symlink("a", outside.toString() + "/..").file("a/x", "bad", 0644).tar();

    IOException e = assertThrows(IOException.class, () -> unpack(tar, layer));

    assertTrue(e.getMessage().contains("a/x"), e.getMessage());
    assertTrue(e.getMessage().contains("symlink"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("x")));
    assertEquals(0, count(outside));
  }

  @Test
  void hardlinksToPathsOutsideTheLayerAreRejected() throws IOException {
    Path layer = layer();
    Path secret = Files.writeString(temp.resolve("secret"), "s");
    byte[] tar = new Tars().hardlink("stolen", "../secret").tar();

    IOException e = assertThrows(IOException.class, () -> unpack(tar, layer));

    assertTrue(e.getMessage().contains("stolen"), e.getMessage());
    assertFalse(Files.exists(layer.resolve("stolen")));
    assertEquals("s", Files.readString(secret));
  }

  @Test
  void hardlinksThroughASymlinkInTheLayerAreRejected() throws IOException {
    Path layer = layer();
    Files.writeString(temp.resolve("secret"), "s");
    byte[] tar = new Tars().symlink("up", temp.toString()).hardlink("stolen", "up/secret").tar();

    assertThrows(IOException.class, () -> unpack(tar, layer));
    assertFalse(Files.exists(layer.resolve("stolen")));
  }

  @Test
  void deviceNodesAreCreatedWithCapMknodWithoutSetuidBits() throws IOException {
    assumeTrue(DeviceNodes.forThisProcess() == DeviceNodes.CREATE, "needs CAP_MKNOD");
    Path layer = layer();
    TarArchiveEntry device = new TarArchiveEntry("dev/sda1", TarArchiveEntry.LF_BLK, true);
    device.setDevMajor(8);
    device.setDevMinor(1);
    device.setMode(04660);
    byte[] tar = new Tars().put(device, new byte[0]).file("ok", "", 0644).tar();

    unpack(tar, layer);

    Path node = layer.resolve("dev/sda1");
    assertEquals(0060660, Files.getAttribute(node, "unix:mode", LinkOption.NOFOLLOW_LINKS));
    assertEquals(NodeCalls.makedev(8, 1), Files.getAttribute(node, "unix:rdev"));
    assertTrue(Files.exists(layer.resolve("ok")));
  }

  @Test
  void deviceNodesNeedCapMknodInTheEffectiveSet() {
    String root = "Name:\tjava\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
    String rootless = "Name:\tjava\nCapEff:\t0000000000000000\n";
    String dockerDefault = "CapEff:\t00000000a80425fb\n";
    String withoutMknod = "CapEff:\t00000000a00425fb\n";

    assertEquals(DeviceNodes.CREATE, DeviceNodes.fromProcStatus(root));
    assertEquals(DeviceNodes.CREATE, DeviceNodes.fromProcStatus(dockerDefault));
    assertEquals(DeviceNodes.SKIP, DeviceNodes.fromProcStatus(rootless));
    assertEquals(DeviceNodes.SKIP, DeviceNodes.fromProcStatus(withoutMknod));
    assertEquals(DeviceNodes.SKIP, DeviceNodes.fromProcStatus("Name:\tjava\n"));
    assertEquals(DeviceNodes.SKIP, DeviceNodes.fromProcStatus("CapEff:\tzz\n"));
  }

  @Test
  void aZeroZeroCharacterDeviceIsAWhiteoutEvenWithoutCapMknod() throws IOException {
    Path layer = layer();
    TarArchiveEntry whiteout = new TarArchiveEntry("etc/gone", TarArchiveEntry.LF_CHR, true);
    byte[] tar = new Tars().put(whiteout, new byte[0]).tar();

    LayerUnpacker.unpack(new ByteArrayInputStream(tar), layer, DeviceNodes.SKIP);

    assertTrue(OverlayFormat.isWhiteout(layer.resolve("etc/gone")));
  }

  @Test
  void gzipAndZstdStreamsAreDetectedByMagic() throws IOException {
    byte[] tar = new Tars().file("f", "z", 0644).tar();
    byte[] zstd = com.github.luben.zstd.Zstd.compress(tar);

    Path a = Files.createDirectory(temp.resolve("a"));
    Path b = Files.createDirectory(temp.resolve("b"));
    LayerUnpacker.unpack(Compression.decompress(new ByteArrayInputStream(Tars.gzip(tar))), a);
    LayerUnpacker.unpack(Compression.decompress(new ByteArrayInputStream(zstd)), b);

    assertEquals("z", Files.readString(a.resolve("f")));
    assertEquals("z", Files.readString(b.resolve("f")));
  }

  @Test
  void fileCapabilitiesAreApplied() throws IOException {
    assumeTrue(DeviceNodes.forThisProcess() == DeviceNodes.CREATE, "needs root");
    Path layer = layer();
    byte[] netRaw = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; // +ep
    TarArchiveEntry ping = new TarArchiveEntry("bin/ping", TarArchiveEntry.LF_NORMAL, true);
    ping.setMode(0755);
    ping.setSize(1);
    ping.addPaxHeader(
        "SCHILY.xattr.security.capability", new String(netRaw, StandardCharsets.UTF_8));
    byte[] tar = new Tars().put(ping, "p".getBytes()).tar();

    List<String> warnings =
        LayerUnpacker.unpack(new ByteArrayInputStream(tar), layer, DeviceNodes.CREATE);

    assertEquals(List.of(), warnings);
    assertArrayEquals(
        netRaw,
        LayerUnpackerHostileTest.Xattrs.get(layer.resolve("bin/ping"), "security.capability"));
  }

  @Test
  void xattrValuesThatAreNotUtf8AreDroppedWithAWarning() throws IOException {
    Path layer = layer();
    byte[] setuid = {1, 0, 0, 2, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    byte[] tar =
        Tars.concat(
            Tars.paxHeader('x', "SCHILY.xattr.security.capability", setuid),
            Tars.header("bin/newuidmap", '0', 0),
            Tars.end());

    List<String> warnings =
        LayerUnpacker.unpack(new ByteArrayInputStream(tar), layer, DeviceNodes.CREATE);

    assertEquals(List.of(), LayerUnpackerHostileTest.Xattrs.list(layer.resolve("bin/newuidmap")));
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("security.capability"), warnings.get(0));
  }

  @Test
  void aDirectoryReplacingAWhiteoutOfTheSameLayerIsOpaque() throws IOException {
    Path layer = layer();
    byte[] tar =
        new Tars()
            .file(".wh.d", "", 0644)
            .dir("d/", 0755)
            .file("d/x", "x", 0644)
            .file(".wh.e", "", 0644)
            .file("e/y", "y", 0644)
            .tar();

    unpack(tar, layer);

    assertTrue(OverlayFormat.isOpaque(layer.resolve("d")));
    assertTrue(OverlayFormat.isOpaque(layer.resolve("e")));
    assertEquals("x", Files.readString(layer.resolve("d/x")));
    assertEquals("y", Files.readString(layer.resolve("e/y")));
  }

  @Test
  void duplicateEntriesLastOneWins() throws IOException {
    Path layer = layer();
    byte[] tar =
        new Tars()
            .file("x", "first", 0644)
            .file("x", "second", 0600)
            .dir("y/", 0755)
            .file("y/z", "z", 0644)
            .file("y", "now a file", 0644)
            .symlink("s", "x")
            .dir("s/", 0700)
            .file("gone", "g", 0644)
            .file(".wh.gone", "", 0644)
            .tar();

    unpack(tar, layer);

    assertEquals("second", Files.readString(layer.resolve("x")));
    assertEquals(0600, PosixMetadata.mode(layer.resolve("x")));
    assertEquals("now a file", Files.readString(layer.resolve("y")));
    assertTrue(Files.isDirectory(layer.resolve("s"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(0700, PosixMetadata.mode(layer.resolve("s")));
    assertTrue(OverlayFormat.isWhiteout(layer.resolve("gone")));
  }

  @Test
  void theDataOfEntriesThatWriteNothingIsSkipped() throws IOException {
    Path layer = layer();
    byte[] tar =
        new Tars()
            .file(".wh.gone", "whiteouts carry no data, but this one does", 0644)
            .file(".wh..wh.plnk/1234.5678", "aufs hard link store", 0644)
            .file("after", "read in step", 0644)
            .file("self", "kept", 0644)
            .hardlink("self", "self")
            .tar();

    unpack(tar, layer);

    assertEquals("read in step", Files.readString(layer.resolve("after")));
    assertEquals("kept", Files.readString(layer.resolve("self")));
    assertTrue(OverlayFormat.isWhiteout(layer.resolve("gone")));
    assertFalse(Files.exists(layer.resolve(".wh..wh.plnk")));
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.count();
    }
  }
}

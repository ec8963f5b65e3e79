package dev.kiln.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.executor.BwrapExecutor;
import dev.kiln.engine.executor.ExecException;
import dev.kiln.engine.executor.ExecSpec;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.HostCommand;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerDiffWriterTest {
  @TempDir Path tempDir;

  record Entry(TarArchiveEntry header, String content) {}

  static Map<String, Entry> read(byte[] tar) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        entries.put(
            entry.getName(),
            new Entry(entry, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
    }
    return entries;
  }

  static byte[] write(Path dir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerDiffWriter.write(dir, out);
    return out.toByteArray();
  }

  @Test
  void filesDirectoriesAndLinksKeepTheirMetadataInSortedOrder() throws IOException {
    Path upper = Files.createDirectories(tempDir.resolve("upper"));
    Path dir = Files.createDirectories(upper.resolve("b-dir"));
    Path file = Files.writeString(dir.resolve("file.txt"), "hello");
    Files.setAttribute(file, "unix:mode", 0640);
    Files.setAttribute(file, "unix:uid", 1234);
    Files.setAttribute(file, "unix:gid", 5678);
    Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_000L));
    Files.createSymbolicLink(upper.resolve("a-link"), Path.of("/does/not/exist"));
    Files.createLink(upper.resolve("c-hardlink"), file);
    String longName = "d".repeat(150) + "/" + "e".repeat(120);
    Files.createDirectories(upper.resolve(longName).getParent());
    Files.writeString(upper.resolve(longName), "long");

    Map<String, Entry> entries = read(write(upper));

    assertEquals(
        List.of(
            "a-link", "b-dir/", "b-dir/file.txt", "c-hardlink", "d".repeat(150) + "/", longName),
        new ArrayList<>(entries.keySet()));
    assertEquals("/does/not/exist", entries.get("a-link").header().getLinkName());
    TarArchiveEntry header = entries.get("b-dir/file.txt").header();
    assertEquals("hello", entries.get("b-dir/file.txt").content());
    assertEquals(0640, header.getMode());
    assertEquals(1234, header.getLongUserId());
    assertEquals(5678, header.getLongGroupId());
    assertEquals(1_700_000_000_000L, header.getModTime().getTime());
    assertTrue(entries.get("c-hardlink").header().isLink());
    assertEquals("b-dir/file.txt", entries.get("c-hardlink").header().getLinkName());
    assertEquals("long", entries.get(longName).content());
  }

  @Test
  void sameTreeGivesTheSameBytes() throws IOException {
    Path upper = Files.createDirectories(tempDir.resolve("upper"));
    for (String name : List.of("z", "a", "m", "b")) {
      Files.writeString(upper.resolve(name), name);
    }

    assertArrayEquals(write(upper), write(upper));
  }

  @Test
  void whiteoutDeviceBecomesWhFileAndOpaqueDirectoryGetsOpqMarker() throws IOException {
    Path upper = Files.createDirectories(tempDir.resolve("upper"));
    Path etc = Files.createDirectories(upper.resolve("etc"));
    HostCommand.run(etc, List.of("mknod", etc.resolve("gone").toString(), "c", "0", "0"));
    Path opaque = Files.createDirectories(upper.resolve("opaque"));
    Files.getFileAttributeView(opaque, UserDefinedFileAttributeView.class)
        .write("overlay.opaque", ByteBuffer.wrap("y".getBytes(StandardCharsets.UTF_8)));
    Files.writeString(opaque.resolve("new"), "n");

    Map<String, Entry> entries = read(write(upper));

    assertEquals(
        List.of("etc/", "etc/.wh.gone", "opaque/", "opaque/.wh..wh..opq", "opaque/new"),
        new ArrayList<>(entries.keySet()));
    assertTrue(entries.get("etc/.wh.gone").header().isFile());
    assertEquals(0, entries.get("etc/.wh.gone").header().getSize());
  }

  @Test
  void stepThatDeletesAndRecreatesLowerPathsYieldsOciWhiteouts() throws IOException, ExecException {
    Snapshotter snapshotter = TestLayers.snapshotter(tempDir);
    Layer busybox = TestLayers.busybox(snapshotter);
    Layer data = TestLayers.files(snapshotter, Map.of("data/old.txt", "old", "lonely.txt", "bye"));
    ActiveLayer upper = snapshotter.prepare();
    ExecSpec spec =
        new ExecSpec(
            List.of("sh", "-c", "rm /lonely.txt; rm -rf /data; mkdir /data; echo new > /data/new"),
            List.of(),
            "/",
            "",
            NetworkMode.NONE,
            SecurityMode.SANDBOX);

    new BwrapExecutor(snapshotter)
        .run(spec, new Snapshot(List.of(busybox, data)), upper, RunContext.detached());

    Map<String, Entry> entries = read(write(upper.upper()));
    assertEquals(
        List.of(".wh.lonely.txt", "data/", "data/.wh..wh..opq", "data/new"),
        new ArrayList<>(entries.keySet()));
  }
}

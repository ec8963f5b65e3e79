package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFilesTest {
  @TempDir Path tempDir;
  Snapshotter snapshotter;
  Layer base;

  @BeforeEach
  void setUp() throws IOException {
    snapshotter = TestLayers.snapshotter(tempDir);
    base = TestLayers.files(snapshotter, Map.of("etc/passwd", "base", "etc/group", "base"));
  }

  @Test
  void topmostLayerWithThePathWins() throws IOException {
    Layer top = TestLayers.files(snapshotter, Map.of("etc/passwd", "top"));

    Snapshot snapshot = new Snapshot(List.of(base, top));

    assertEquals(
        Optional.of(top.dir().resolve("etc/passwd")), SnapshotFiles.find(snapshot, "/etc/passwd"));
    assertEquals(
        Optional.of(base.dir().resolve("etc/group")), SnapshotFiles.find(snapshot, "etc/group"));
  }

  @Test
  void whiteoutInAHigherLayerHidesTheFile() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Path etc = Files.createDirectories(active.upper().resolve("etc"));
    HostCommand.run(etc, List.of("mknod", "passwd", "c", "0", "0"));
    Layer top = snapshotter.commit(active);

    assertEquals(
        Optional.empty(), SnapshotFiles.find(new Snapshot(List.of(base, top)), "/etc/passwd"));
  }

  @Test
  void opaqueDirectoryHidesWhatIsBelowIt() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Path etc = Files.createDirectories(active.upper().resolve("etc"));
    Files.getFileAttributeView(etc, UserDefinedFileAttributeView.class)
        .write("overlay.opaque", ByteBuffer.wrap("y".getBytes(StandardCharsets.UTF_8)));
    Layer top = snapshotter.commit(active);

    assertEquals(
        Optional.empty(), SnapshotFiles.find(new Snapshot(List.of(base, top)), "/etc/passwd"));
  }

  @Test
  void parentReferencesNeverResolve() throws IOException {
    assertEquals(
        Optional.empty(), SnapshotFiles.find(new Snapshot(List.of(base)), "/../fs/etc/passwd"));
  }
}

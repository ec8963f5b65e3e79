package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotterMountTest {
  @TempDir Path tempDir;
  Snapshotter snapshotter;
  Layer lower;
  Layer upperLayer;

  @BeforeEach
  void setUp() throws IOException {
    snapshotter = TestLayers.snapshotter(tempDir);
    lower = TestLayers.files(snapshotter, Map.of("a.txt", "lower a", "shared.txt", "from lower"));
    upperLayer =
        TestLayers.files(snapshotter, Map.of("b.txt", "upper b", "shared.txt", "from upper"));
  }

  @Test
  void readOnlyViewOfTwoLayersShowsTheirUnionWithTheUpperWinning() throws IOException {
    try (MountedFs fs =
        snapshotter.mount(new Snapshot(List.of(lower, upperLayer)), Optional.empty())) {
      assertEquals("lower a", Files.readString(fs.path().resolve("a.txt")));
      assertEquals("upper b", Files.readString(fs.path().resolve("b.txt")));
      assertEquals("from upper", Files.readString(fs.path().resolve("shared.txt")));
      assertThrows(IOException.class, () -> Files.writeString(fs.path().resolve("new"), "x"));
    }
  }

  @Test
  void singleLayerViewIsTheLayerDirectoryItself() throws IOException {
    try (MountedFs fs = snapshotter.mount(new Snapshot(List.of(lower)), Optional.empty())) {
      assertEquals(lower.dir(), fs.path());
      assertFalse(MountInfo.isMounted(fs.path()));
    }
  }

  @Test
  void scratchViewIsAnEmptyDirectory() throws IOException {
    try (MountedFs fs = snapshotter.mount(Snapshot.SCRATCH, Optional.empty())) {
      try (var entries = Files.list(fs.path())) {
        assertEquals(0, entries.count());
      }
    }
  }

  @Test
  void writableMountSendsWritesToTheActiveUpperOnly() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Map<String, String> lowerBefore = TestLayers.fingerprint(lower.dir());
    try (MountedFs fs = snapshotter.mount(new Snapshot(List.of(lower)), Optional.of(active))) {
      Files.writeString(fs.path().resolve("new.txt"), "written");
      Files.delete(fs.path().resolve("a.txt"));
    }
    assertEquals("written", Files.readString(active.upper().resolve("new.txt")));
    assertTrue(OverlayFormat.isWhiteout(active.upper().resolve("a.txt")));
    assertEquals(lowerBefore, TestLayers.fingerprint(lower.dir()));
  }

  @Test
  void writableMountOnScratchIsTheUpperDirectory() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    try (MountedFs fs = snapshotter.mount(Snapshot.SCRATCH, Optional.of(active))) {
      assertEquals(active.upper(), fs.path());
    }
  }

  @Test
  void closeUnmountsAndRemovesTheMountPoint() throws IOException {
    MountedFs fs = snapshotter.mount(new Snapshot(List.of(lower, upperLayer)), Optional.empty());
    Path mountPoint = fs.path();
    assertTrue(MountInfo.isMounted(mountPoint));

    fs.close();

    assertFalse(MountInfo.isMounted(mountPoint));
    assertFalse(Files.exists(mountPoint));
  }

  @Test
  void recoverUnmountsStaleMountsAndDeletesLeftovers() throws IOException {
    MountedFs stale = snapshotter.mount(new Snapshot(List.of(lower, upperLayer)), Optional.empty());
    ActiveLayer abandoned = snapshotter.prepare();

    Snapshotter restarted = new Snapshotter(tempDir.resolve("kiln"));
    restarted.recover();

    assertTrue(MountInfo.mountPointsUnder(restarted.mountsDir()).isEmpty());
    assertFalse(Files.exists(stale.path()));
    assertFalse(Files.exists(abandoned.dir()));
    assertEquals("lower a", Files.readString(lower.dir().resolve("a.txt")));
  }
}

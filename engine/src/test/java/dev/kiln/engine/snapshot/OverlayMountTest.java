package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayMountTest {
  @TempDir Path tempDir;

  @Test
  void fsApiMountsAWritableOverlayWithUserXattrOpaqueDirs() throws IOException {
    Snapshotter snapshotter = TestLayers.snapshotter(tempDir);
    Layer lower = TestLayers.files(snapshotter, Map.of("d/old", "old", "a.txt", "a"));
    ActiveLayer active = snapshotter.prepare();
    Path target = snapshotter.newMountPoint();

    OverlayMount.mountWithFsApi(List.of(lower.dir()), Optional.of(active), target);
    try {
      assertEquals("a", Files.readString(target.resolve("a.txt")));
      FileTrees.deleteRecursively(target.resolve("d"));
      Files.createDirectory(target.resolve("d"));
      Files.writeString(target.resolve("d/new"), "new");
    } finally {
      OverlayMount.unmount(target);
    }

    assertFalse(MountInfo.isMounted(target));
    assertEquals("new", Files.readString(active.upper().resolve("d/new")));
    assertTrue(OverlayFormat.isOpaque(active.upper().resolve("d")));
  }

  @Test
  void stackTooDeepForOnePageOfOptionsIsMountedThroughTheFsApi() throws IOException {
    Path longRoot = tempDir.resolve("a-rather-long-directory-name-".repeat(4) + "kiln");
    Snapshotter snapshotter = TestLayers.snapshotter(Files.createDirectories(longRoot));
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      layers.add(TestLayers.files(snapshotter, Map.of("f" + i, "layer " + i, "top", "" + i)));
    }
    Snapshot deep = new Snapshot(layers);
    assertTrue(
        OverlayMount.options(snapshotter.lowerDirs(deep), Optional.empty()).isEmpty(),
        "the options must not fit in a page for this test to mean anything");

    try (MountedFs fs = snapshotter.mount(deep, Optional.empty())) {
      assertTrue(MountInfo.isMounted(fs.path()));
      assertEquals("layer 0", Files.readString(fs.path().resolve("f0")));
      assertEquals("layer 149", Files.readString(fs.path().resolve("f149")));
      assertEquals("149", Files.readString(fs.path().resolve("top")));
    }
  }

  @Test
  void shortStackUsesMountOptionsWithAbsolutePaths() {
    Optional<String> options =
        OverlayMount.options(List.of(Path.of("/k/2/fs"), Path.of("/k/1/fs")), Optional.empty());

    assertEquals(Optional.of("lowerdir=/k/2/fs:/k/1/fs,userxattr"), options);
  }

  @Test
  void pathsWithOptionSeparatorsGoThroughTheFsApi() {
    assertEquals(
        Optional.empty(), OverlayMount.options(List.of(Path.of("/k/a,b/fs")), Optional.empty()));
    assertEquals(
        Optional.empty(), OverlayMount.options(List.of(Path.of("/k/a:b/fs")), Optional.empty()));
  }

  @Test
  void failedMountNamesTheTargetAndTheSystemsReason() {
    Path missing = tempDir.resolve("no-such-dir");

    IOException e =
        assertThrows(
            IOException.class,
            () -> OverlayMount.mount(List.of(tempDir), Optional.empty(), missing));

    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
  }
}

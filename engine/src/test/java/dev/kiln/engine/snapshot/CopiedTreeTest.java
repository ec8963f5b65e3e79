package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copying snapshotter's two halves agree with overlayfs itself. */
class CopiedTreeTest {
  @TempDir Path temp;
  Snapshotter snapshotter;
  Layer base;

  @BeforeEach
  void layers() throws IOException {
    snapshotter = TestLayers.snapshotter(temp);
    base =
        TestLayers.files(
            snapshotter,
            Map.of(
                "etc/config", "one\n",
                "etc/keep", "keep\n",
                "data/a", "a\n",
                "data/sub/b", "b\n",
                "gone/x", "x\n",
                "becomes-dir", "file\n"));
  }

  @Test
  void materializingLayersShowsWhatAnOverlayMountShows() throws IOException {
    ActiveLayer top = snapshotter.prepare();
    Files.createDirectories(top.upper().resolve("data"));
    OverlayFormat.markOpaque(top.upper().resolve("data"));
    Files.writeString(top.upper().resolve("data/new"), "new\n");
    Files.createDirectories(top.upper().resolve("etc"));
    Files.writeString(top.upper().resolve("etc/config"), "two\n");
    OverlayFormat.createWhiteouts(List.of(top.upper().resolve("gone")));
    Snapshot snapshot = new Snapshot(List.of(base, snapshotter.commit(top)));

    Path copied = Files.createDirectory(temp.resolve("copied"));
    CopiedTree.materialize(snapshot, copied);
    try (MountedFs mounted = snapshotter.mount(snapshot, Optional.empty())) {
      assertEquals(tree(mounted.path()), tree(copied));
    }
    assertEquals("two\n", Files.readString(copied.resolve("etc/config")));
  }

  @Test
  void aDiffReplayedOnItsBaseGivesTheChangedTreeBothByCopyAndByOverlay() throws IOException {
    Path before = Files.createDirectory(temp.resolve("before"));
    Path after = Files.createDirectory(temp.resolve("after"));
    CopiedTree.materialize(new Snapshot(List.of(base)), before);
    CopiedTree.materialize(new Snapshot(List.of(base)), after);
    Files.writeString(after.resolve("etc/config"), "changed\n");
    Files.setAttribute(after.resolve("etc/keep"), "unix:mode", 0600);
    Files.setAttribute(after.resolve("data/a"), "unix:uid", 1234);
    FileTrees.deleteRecursively(after.resolve("gone"));
    Files.delete(after.resolve("data/sub/b"));
    Files.delete(after.resolve("becomes-dir"));
    Files.createDirectories(after.resolve("becomes-dir/inside"));
    Files.writeString(after.resolve("becomes-dir/inside/f"), "f\n");
    Files.createSymbolicLink(after.resolve("link"), Path.of("/etc/config"));
    Files.createDirectories(after.resolve("brand/new"));

    ActiveLayer diff = snapshotter.prepare();
    TreeDiff.write(before, after, diff.upper(), OverlayFormat::createWhiteouts);
    Snapshot replayed = new Snapshot(List.of(base, snapshotter.commit(diff)));

    Path copied = Files.createDirectory(temp.resolve("copied"));
    CopiedTree.materialize(replayed, copied);
    assertEquals(tree(after), tree(copied));
    try (MountedFs mounted = snapshotter.mount(replayed, Optional.empty())) {
      assertEquals(tree(after), tree(mounted.path()));
    }
  }

  @Test
  void anUnchangedTreeGivesAnEmptyDiff() throws IOException {
    Path before = Files.createDirectory(temp.resolve("before"));
    Path after = Files.createDirectory(temp.resolve("after"));
    CopiedTree.materialize(new Snapshot(List.of(base)), before);
    CopiedTree.materialize(new Snapshot(List.of(base)), after);
    ActiveLayer diff = snapshotter.prepare();
    TreeDiff.write(before, after, diff.upper(), OverlayFormat::createWhiteouts);
    try (Stream<Path> entries = Files.list(diff.upper())) {
      assertEquals(List.of(), entries.toList());
    }
  }

  /** Path to kind, mode, owner, and content or link target; directory sizes vary, so not them. */
  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> result = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        if (path.equals(root)) {
          continue;
        }
        Map<String, Object> a =
            Files.readAttributes(path, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        String content = "";
        if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
          content = Files.readString(path);
        } else if (Files.isSymbolicLink(path)) {
          content = "-> " + Files.readSymbolicLink(path);
        }
        result.put(
            root.relativize(path).toString(),
            Integer.toOctalString((Integer) a.get("mode"))
                + " "
                + a.get("uid")
                + ":"
                + a.get("gid")
                + " "
                + content);
      }
    }
    return result;
  }
}

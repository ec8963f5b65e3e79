package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds a snapshot's merged filesystem as a plain directory by applying its layers in order, as
 * overlayfs would show them: a whiteout deletes what lies below, an opaque directory hides it. The
 * copying snapshotter uses this where overlay mounts are not allowed.
 */
final class CopiedTree {
  private CopiedTree() {}

  /** Fills the empty directory {@code target} with {@code snapshot}'s files. */
  static void materialize(Snapshot snapshot, Path target) throws IOException {
    for (Layer layer : snapshot.layers()) {
      apply(layer.dir(), target);
    }
  }

  /** Applies one overlay-format layer directory onto {@code target}. */
  static void apply(Path layerDir, Path target) throws IOException {
    List<Path[]> directories = new ArrayList<>();
    applyBelow(layerDir, target, directories);
    for (int i = directories.size() - 1; i >= 0; i--) {
      Path[] pair = directories.get(i);
      EntryCopy.finishDirectory(pair[1], EntryCopy.stat(pair[0]));
    }
  }

  private static void applyBelow(Path srcDir, Path destDir, List<Path[]> directories)
      throws IOException {
    List<Path> children;
    try (Stream<Path> list = Files.list(srcDir)) {
      children = list.sorted().toList();
    }
    for (Path src : children) {
      Path dest = destDir.resolve(src.getFileName().toString());
      if (OverlayFormat.isWhiteout(src)) {
        FileTrees.deleteRecursively(dest);
        continue;
      }
      Map<String, Object> stat = EntryCopy.stat(src);
      boolean existingDir = Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS);
      if (EntryCopy.isDirectory(stat) && existingDir && !OverlayFormat.isOpaque(src)) {
        // Directories merge: keep what lower layers put inside, take this layer's metadata.
        Files.setAttribute(dest, "unix:uid", stat.get("uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dest, "unix:gid", stat.get("gid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dest, "unix:mode", (Integer) stat.get("mode") & 07777);
      } else {
        FileTrees.deleteRecursively(dest);
        if (!EntryCopy.copy(src, dest, stat)) {
          continue;
        }
      }
      if (EntryCopy.isDirectory(stat)) {
        directories.add(new Path[] {src, dest});
        applyBelow(src, dest, directories);
      }
    }
  }
}

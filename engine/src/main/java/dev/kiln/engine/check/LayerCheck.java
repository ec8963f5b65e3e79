package dev.kiln.engine.check;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks the committed layers under {@code ROOT/snapshots}: each must hold its {@code fs/} tree. A
 * layer without one cannot be used; a repair removes it, after the records naming it are dropped.
 */
final class LayerCheck {
  private final Snapshotter snapshotter;

  /** The layers there are, the ids of broken ones, and what is wrong. */
  record Result(int checked, Set<String> present, Set<String> broken, List<Finding> findings) {}

  LayerCheck(Snapshotter snapshotter) {
    this.snapshotter = snapshotter;
  }

  Result run() throws IOException {
    List<String> ids = new ArrayList<>(snapshotter.committedIds());
    ids.sort(Comparator.comparingLong(Long::parseLong));
    Set<String> present = new HashSet<>();
    Set<String> broken = new HashSet<>();
    List<Finding> findings = new ArrayList<>();
    for (String id : ids) {
      if (snapshotter.committed(id).isPresent()) {
        present.add(id);
        continue;
      }
      broken.add(id);
      Path dir = snapshotter.snapshotsDir().resolve(id);
      findings.add(
          Finding.fixable(
              Problem.Kind.BROKEN_LAYER,
              dir.toString(),
              "committed layer " + id + " has no fs/ directory: nothing can use it",
              Problem.Action.REMOVE_LAYER,
              () -> remove(dir, id)));
    }
    return new Result(ids.size(), present, broken, findings);
  }

  /**
   * Renames the layer into the snapshotter's {@code active-} namespace before deleting it, as
   * pruning does: a crash in between leaves a leftover that the next start removes.
   */
  private void remove(Path dir, String id) throws IOException {
    Path doomed = snapshotter.snapshotsDir().resolve("active-check-" + id);
    Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
    FileTrees.deleteRecursively(doomed);
  }
}

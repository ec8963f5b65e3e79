package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds a path in a snapshot without mounting it, following overlayfs rules: the topmost layer that
 * has the path wins; a whiteout (0:0 character device) or an opaque directory in a higher layer
 * hides everything below. Symbolic links are not followed.
 */
public final class SnapshotFiles {
  private SnapshotFiles() {}

  /** The layer file that {@code path} (absolute or relative to the root) resolves to, if any. */
  public static Optional<Path> find(Snapshot snapshot, String path) throws IOException {
    String[] parts = path.replaceAll("^/+", "").split("/+");
    List<Layer> layers = snapshot.layers();
    for (int i = layers.size() - 1; i >= 0; i--) {
      Path current = layers.get(i).dir();
      boolean hidesLower = false;
      boolean missing = false;
      for (int p = 0; p < parts.length && !missing; p++) {
        if (parts[p].isEmpty() || parts[p].equals(".")) {
          continue;
        }
        if (parts[p].equals("..")) {
          return Optional.empty();
        }
        current = current.resolve(parts[p]);
        if (OverlayFormat.isWhiteout(current)) {
          return Optional.empty();
        }
        if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
          missing = true;
        } else if (p < parts.length - 1 && OverlayFormat.isOpaque(current)) {
          hidesLower = true;
        }
      }
      if (!missing) {
        return Optional.of(current);
      }
      if (hidesLower) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}

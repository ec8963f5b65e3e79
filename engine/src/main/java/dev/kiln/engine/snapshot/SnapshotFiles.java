package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
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
        if (isWhiteout(current)) {
          return Optional.empty();
        }
        if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
          missing = true;
        } else if (p < parts.length - 1 && isOpaque(current)) {
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

  /** Whether {@code file} is an overlayfs whiteout: a character device numbered 0:0. */
  public static boolean isWhiteout(Path file) throws IOException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    long rdev = (Long) Files.getAttribute(file, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
    return (mode & 0170000) == 0020000 && rdev == 0;
  }

  /** Whether {@code dir} is an opaque directory ({@code user.overlay.opaque=y}). */
  public static boolean isOpaque(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(
            dir, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (view == null || !view.list().contains("overlay.opaque")) {
      return false;
    }
    java.nio.ByteBuffer value = java.nio.ByteBuffer.allocate(view.size("overlay.opaque"));
    view.read("overlay.opaque", value);
    return new String(value.array(), 0, value.position(), StandardCharsets.UTF_8).equals("y");
  }
}

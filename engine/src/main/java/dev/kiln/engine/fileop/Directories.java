package dev.kiln.engine.fileop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/** {@code mkdir -p} on an already scoped path: creates the missing directories, stamping each. */
final class Directories {
  private Directories() {}

  /**
   * Creates {@code target} and its missing parents below {@code root}; {@code shown} names the path
   * in errors as the user wrote it.
   */
  static void makeAll(Path root, Path target, int mode, Optional<Ids> owner, String shown)
      throws IOException {
    Deque<Path> missing = new ArrayDeque<>();
    Path current = target;
    while (!current.equals(root) && !Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
      missing.push(current);
      current = current.getParent();
    }
    if (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("mkdir " + shown + ": not a directory");
    }
    while (!missing.isEmpty()) {
      Path dir = missing.pop();
      Files.createDirectory(dir);
      if (owner.isPresent()) {
        PosixMetadata.chown(dir, owner.get().uid(), owner.get().gid());
      }
      PosixMetadata.chmod(dir, mode);
    }
  }
}

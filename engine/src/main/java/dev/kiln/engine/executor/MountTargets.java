package dev.kiln.engine.executor;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates the mount points of a step's extra mounts in its root filesystem (as root, before bwrap
 * runs) and removes afterwards the ones that did not exist, still empty, so that a layer holds only
 * what the step wrote. Destinations through symbolic links are refused: following them on the host
 * could leave the root filesystem.
 */
final class MountTargets {
  private final Path root;
  private final List<Path> created = new ArrayList<>();

  MountTargets(Path root) {
    this.root = root;
  }

  /** Makes {@code dest} (and missing parents) exist: a file when {@code file}, else a directory. */
  void ensure(String dest, boolean file) throws ExecException, IOException {
    Path current = root;
    String[] parts = dest.replaceAll("^/+|/+$", "").split("/+");
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].isEmpty() || parts[i].equals(".")) {
        continue;
      }
      current = current.resolve(parts[i]);
      boolean last = i == parts.length - 1;
      if (Files.isSymbolicLink(current)) {
        throw new ExecException(
            "mount destination " + dest + " goes through a symbolic link; not supported yet", -1);
      }
      if (Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
        if (!last && !Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
          throw new ExecException(
              "mount destination " + dest + ": a parent is not a directory", -1);
        }
        continue;
      }
      if (last && file) {
        Files.createFile(current);
      } else {
        Files.createDirectory(current);
      }
      created.add(current);
    }
  }

  /** Removes what {@link #ensure} created and the step left empty, deepest first. Best effort. */
  void removeCreated() {
    for (int i = created.size() - 1; i >= 0; i--) {
      Path path = created.get(i);
      try {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
            || (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && Files.size(path) == 0)) {
          Files.delete(path);
        }
      } catch (DirectoryNotEmptyException e) {
        // The step wrote into it below the mount; that is part of its result.
      } catch (IOException e) {
        // Best effort: a leftover mount point only adds an empty entry to the layer.
      }
    }
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.snapshot.ScopedPath;
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
 * what the step wrote. A destination is resolved as the step would see it: symbolic links are
 * followed inside the root filesystem (absolute targets restart at its root, {@code ..} stops
 * there), never on the host (CVE-2024-23651's class of escape).
 */
final class MountTargets {
  private final Path root;
  private final List<Path> created = new ArrayList<>();

  MountTargets(Path root) {
    this.root = root;
  }

  /** Where {@code dest} lands in the root, links followed inside it; creates nothing. */
  String resolve(String dest) throws IOException {
    return "/" + root.relativize(ScopedPath.resolve(root, dest, true));
  }

  /**
   * Makes {@code dest} (and missing parents) exist: a file when {@code file}, else a directory;
   * returns where it landed, as an absolute path inside the root with no symbolic link left.
   */
  String ensure(String dest, boolean file) throws ExecException, IOException {
    Path resolved = ScopedPath.resolve(root, dest, true);
    Path current = root;
    for (Path part : root.relativize(resolved)) {
      if (part.toString().isEmpty()) {
        continue;
      }
      current = current.resolve(part);
      boolean last = current.equals(resolved);
      if (Files.isSymbolicLink(current)) {
        // Only a link created since resolve() could be here: nothing else writes the root now
        // (a cache directory is the step's alone while other mounts nest inside it).
        throw new ExecException("mount destination " + dest + " changed while it was resolved", -1);
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
    return "/" + root.relativize(resolved);
  }

  /**
   * Removes what {@link #ensure} created and the step left empty, deepest first. Best effort. A
   * path the step has since routed through a link of its own is left alone: the step may have
   * swapped a parent for a link to a host directory, and the host would follow it.
   */
  void removeCreated() {
    for (int i = created.size() - 1; i >= 0; i--) {
      Path path = created.get(i);
      try {
        if (!reachedWithoutLinks(path)) {
          continue;
        }
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

  /** Whether no component of {@code path} below the root is a link (the step has exited). */
  private boolean reachedWithoutLinks(Path path) throws IOException {
    return ScopedPath.resolve(root, "/" + root.relativize(path), false).equals(path);
  }
}

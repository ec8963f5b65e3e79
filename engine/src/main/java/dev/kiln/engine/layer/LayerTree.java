package dev.kiln.engine.layer;

import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Maps entry paths into a layer directory. Every parent is checked to be a real directory, never a
 * symlink, so that a hostile tar cannot plant {@code a -> /} and then write {@code a/x}.
 */
final class LayerTree {
  private final Path root;
  // Directories this unpack already checked or made: most entries share a few parents, and an
  // lstat per parent per entry dominated unpacking. Anything replaced is forgotten (clearFor).
  private final Set<Path> knownDirectories = new HashSet<>();

  LayerTree(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  /** Creates the missing parents of {@code path} and returns where the entry itself goes. */
  Path prepareParents(EntryPath path, String entry) throws IOException {
    Path current = root;
    for (String part : path.parent().components()) {
      current = current.resolve(part);
      if (knownDirectories.contains(current)) {
        continue;
      }
      Optional<BasicFileAttributes> attrs = lstat(current);
      if (attrs.isEmpty()) {
        Files.createDirectory(current);
      } else if (attrs.get().isSymbolicLink()) {
        throw new IOException(
            "entry \"" + entry + "\": its parent " + root.relativize(current) + " is a symlink");
      } else if (!attrs.get().isDirectory()) {
        throw new IOException(
            "entry \""
                + entry
                + "\": its parent "
                + root.relativize(current)
                + " is not a directory");
      }
      knownDirectories.add(current);
    }
    return root.resolve(String.join("/", path.components()));
  }

  /** Removes whatever an earlier entry left at {@code target} unless both are directories. */
  void clearFor(Path target, boolean keepDirectory) throws IOException {
    Optional<BasicFileAttributes> attrs = lstat(target);
    if (attrs.isEmpty() || (keepDirectory && attrs.get().isDirectory())) {
      return;
    }
    if (attrs.get().isDirectory()) {
      knownDirectories.removeIf(dir -> dir.startsWith(target));
      FileTrees.deleteRecursively(target);
    } else {
      Files.delete(target);
    }
  }

  static Optional<BasicFileAttributes> lstat(Path path) throws IOException {
    try {
      return Optional.of(
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }
}

package dev.kiln.engine.layer;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.OverlayFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Maps entry paths into a layer directory so that nothing outside it is ever touched.
 *
 * <p>Every parent of an entry is checked to be a real directory, never a symlink, so a hostile tar
 * cannot plant {@code a -> /} and then write {@code a/x}; the final component is replaced, never
 * followed. What the unpacker remembers about paths (directories already checked, directory
 * metadata applied at the end, whiteouts it made) is forgotten for a path and everything below it
 * as soon as an entry replaces that path ({@link #clearFor}): a remembered path therefore always
 * runs through real directories of this layer, and the deferred chmod of a directory cannot land on
 * whatever a later symlink points to.
 */
final class LayerTree {
  private final Path root;
  // Directories this unpack already checked or made: most entries share a few parents, and an
  // lstat per parent per entry dominated unpacking.
  private final Set<Path> knownDirectories = new HashSet<>();
  private final Map<Path, DirMeta> pendingDirectories = new HashMap<>();
  private final Set<Path> whiteouts = new HashSet<>();

  /** Metadata applied to directories after their contents, since writing a child changes mtime. */
  record DirMeta(int mode, FileTime mtime) {}

  LayerTree(Path root) {
    this.root = root;
    knownDirectories.add(root);
  }

  Path root() {
    return root;
  }

  /** Where {@code path} goes, without checking anything. */
  Path locate(EntryPath path) {
    return path.isRoot() ? root : root.resolve(String.join("/", path.components()));
  }

  /**
   * Creates the missing parents of {@code path} and returns where the entry itself goes. A parent
   * that is a whiteout made by this layer becomes an opaque directory, as overlayfs itself does for
   * {@code rm -r d; mkdir d}. {@code subject} names the entry in errors.
   */
  Path prepareParents(EntryPath path, String subject) throws IOException {
    Path current = root;
    for (String part : path.parent().components()) {
      current = current.resolve(part);
      if (knownDirectories.contains(current)) {
        continue;
      }
      Optional<BasicFileAttributes> attrs = lstat(current);
      if (attrs.isEmpty()) {
        Files.createDirectory(current);
      } else if (whiteouts.remove(current)) {
        Files.delete(current);
        Files.createDirectory(current);
        OverlayFormat.markOpaque(current);
      } else {
        requireDirectory(attrs.get(), current, subject);
      }
      knownDirectories.add(current);
    }
    return locate(path);
  }

  /**
   * Where an existing non-directory of this layer is, reached through real directories only; for
   * hard link targets. Empty when nothing is there.
   */
  Optional<Path> existing(EntryPath path, String subject) throws IOException {
    Path current = root;
    for (String part : path.parent().components()) {
      current = current.resolve(part);
      if (knownDirectories.contains(current)) {
        continue;
      }
      Optional<BasicFileAttributes> attrs = lstat(current);
      if (attrs.isEmpty()) {
        return Optional.empty();
      }
      requireDirectory(attrs.get(), current, subject);
      knownDirectories.add(current);
    }
    Path target = locate(path);
    Optional<BasicFileAttributes> attrs = lstat(target);
    if (attrs.isEmpty()) {
      return Optional.empty();
    }
    if (attrs.get().isDirectory()) {
      throw new RefusedEntryException(subject + " is a directory, which cannot be hard-linked");
    }
    return Optional.of(target);
  }

  private void requireDirectory(BasicFileAttributes attrs, Path path, String subject)
      throws IOException {
    if (attrs.isSymbolicLink()) {
      throw new RefusedEntryException(
          subject
              + " goes through the symlink \""
              + root.relativize(path)
              + "\": layer entries are never written through symlinks");
    }
    if (!attrs.isDirectory()) {
      throw new RefusedEntryException(
          subject + ": its parent \"" + root.relativize(path) + "\" is not a directory");
    }
  }

  /**
   * Removes whatever is at {@code target} unless both it and the new entry are directories, and
   * forgets what was remembered about it and below it. Returns whether a whiteout was removed.
   */
  boolean clearFor(Path target, boolean keepDirectory) throws IOException {
    Optional<BasicFileAttributes> attrs = lstat(target);
    if (attrs.isEmpty() || (keepDirectory && attrs.get().isDirectory())) {
      return false;
    }
    if (attrs.get().isDirectory()) {
      knownDirectories.removeIf(dir -> dir.startsWith(target));
      pendingDirectories.keySet().removeIf(dir -> dir.startsWith(target));
      whiteouts.removeIf(path -> path.startsWith(target));
      FileTrees.deleteRecursively(target);
      return false;
    }
    Files.delete(target);
    return whiteouts.remove(target);
  }

  /** Notes a directory this layer made or kept at {@code dir}. */
  void madeDirectory(Path dir) {
    knownDirectories.add(dir);
  }

  /** Notes a whiteout this layer made at {@code path}. */
  void madeWhiteout(Path path) {
    whiteouts.add(path);
  }

  /** Sets {@code meta} on the directory {@code dir} once all entries are written. */
  void deferMetadata(Path dir, DirMeta meta) {
    pendingDirectories.put(dir, meta);
  }

  /** Applies deferred directory metadata, deepest first (a chmod may close a directory). */
  void applyDeferredMetadata() throws IOException {
    List<Path> dirs = new ArrayList<>(pendingDirectories.keySet());
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path dir : dirs) {
      // Replaced directories were forgotten; the lstat only guards that invariant.
      Optional<BasicFileAttributes> attrs = lstat(dir);
      if (attrs.isEmpty() || !attrs.get().isDirectory()) {
        throw new IOException(
            "layer directory \"" + root.relativize(dir) + "\" changed kind during unpacking");
      }
      DirMeta meta = pendingDirectories.get(dir);
      EntryMetadata.chmod(dir, meta.mode());
      EntryMetadata.setMtime(dir, meta.mtime());
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

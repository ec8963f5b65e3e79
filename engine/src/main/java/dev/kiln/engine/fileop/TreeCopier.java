package dev.kiln.engine.fileop;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.ScopedPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Copies files, symlinks and directory trees, preserving links (never following them), modes and
 * mtimes. Existing destination symlinks are resolved inside {@code destRoot} only, so a link in the
 * destination cannot redirect a copy outside it.
 */
public final class TreeCopier {
  /**
   * What to copy and how to stamp it: owner and mode override the source's when present; files
   * {@code links} names are hard-linked rather than copied, the others written by {@code bytes}; a
   * directory merges into one that a link of the destination points to when {@code throughLinks}
   * (COPY's rule), else replaces the link.
   */
  public record Options(
      Selection selection,
      Optional<Ids> owner,
      Optional<Integer> mode,
      LinkSource links,
      ByteCopy bytes,
      boolean throughLinks) {
    public static final Options PRESERVE =
        new Options(Selection.ALL, Optional.empty(), Optional.empty());

    /**
     * An export's: everything as it is, and the destination's links replaced rather than followed
     * (as BuildKit's local exporter), so that the result is the image's tree.
     */
    public static final Options EXPORT =
        new Options(
            Selection.ALL,
            Optional.empty(),
            Optional.empty(),
            LinkSource.NONE,
            ByteCopy.KERNEL,
            false);

    public Options(Selection selection, Optional<Ids> owner, Optional<Integer> mode) {
      this(selection, owner, mode, LinkSource.NONE, ByteCopy.KERNEL, true);
    }

    public Options withLinks(LinkSource more) {
      return new Options(selection, owner, mode, more, bytes, throughLinks);
    }

    public Options withBytes(ByteCopy copy) {
      return new Options(selection, owner, mode, links, copy, throughLinks);
    }
  }

  private record PendingDir(Path dest, FileInfo info) {}

  private final Path destRoot;
  private final Options options;
  private final List<PendingDir> dirs = new ArrayList<>();
  // Directories this copy created, with the owner their new entries get: nothing is in them but
  // what the copy put there, which saves a lookup and a chown per file.
  private final Map<Path, Ids> fresh = new HashMap<>();

  private TreeCopier(Path destRoot, Options options) {
    this.destRoot = destRoot;
    this.options = options;
  }

  /** Copies {@code src} itself to {@code dest}, whose parent must exist; directories merge. */
  public static void copy(Path src, Path dest, Path destRoot, Options options) throws IOException {
    TreeCopier copier = new TreeCopier(destRoot, options);
    FileInfo info = FileInfo.read(src).orElseThrow(() -> new NoSuchFileException(src.toString()));
    if (info.isDirectory()) {
      Path dir = copier.directory(dest, info);
      copier.copyBelow(src, dir);
    } else {
      copier.entry(src, dest, info);
    }
    copier.finishDirectories();
  }

  /** Copies what is inside directory {@code src} into the existing directory {@code destDir}. */
  public static void copyContents(Path src, Path destDir, Path destRoot, Options options)
      throws IOException {
    TreeCopier copier = new TreeCopier(destRoot, options);
    copier.copyBelow(src, destDir);
    copier.finishDirectories();
  }

  private void copyBelow(Path srcDir, Path destDir) throws IOException {
    Map<String, Path> placed = new HashMap<>();
    for (SelectedTree.Entry entry : SelectedTree.walk(srcDir, options.selection())) {
      String relative = entry.relative();
      int slash = relative.lastIndexOf('/');
      Path parent = slash < 0 ? destDir : placed.get(relative.substring(0, slash));
      Path dest = parent.resolve(entry.path().getFileName().toString());
      if (entry.info().isDirectory()) {
        placed.put(relative, directory(dest, entry.info()));
      } else {
        entry(entry.path(), dest, entry.info());
      }
    }
  }

  /** Makes {@code dest} a directory to merge into and returns where it really is. */
  private Path directory(Path dest, FileInfo info) throws IOException {
    Optional<FileInfo> existing =
        fresh.containsKey(dest.getParent()) ? Optional.empty() : FileInfo.read(dest);
    if (existing.isPresent()
        && existing.get().kind() == FileInfo.Kind.SYMLINK
        && options.throughLinks()) {
      Path followed = ScopedPath.resolve(destRoot, destRoot.relativize(dest).toString(), true);
      if (Files.isDirectory(followed, LinkOption.NOFOLLOW_LINKS)) {
        return followed; // merging through a link keeps the target's own metadata
      }
      Files.delete(dest);
    } else if (existing.isPresent() && !existing.get().isDirectory()) {
      Files.delete(dest);
    }
    if (existing.isEmpty() || !existing.get().isDirectory()) {
      Files.createDirectory(dest);
      Map<String, Object> attrs =
          Files.readAttributes(dest, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
      fresh.put(dest, new Ids((Integer) attrs.get("uid"), (Integer) attrs.get("gid")));
    }
    dirs.add(new PendingDir(dest, info));
    return dest;
  }

  private void entry(Path src, Path dest, FileInfo info) throws IOException {
    Ids created = fresh.get(dest.getParent());
    Optional<FileInfo> existing = created != null ? Optional.empty() : FileInfo.read(dest);
    if (existing.isPresent()) {
      if (existing.get().isDirectory()) {
        FileTrees.deleteRecursively(dest);
      } else {
        Files.delete(dest);
      }
    }
    Ids owner = options.owner().orElse(new Ids(info.uid(), info.gid()));
    if (info.kind() == FileInfo.Kind.SYMLINK) {
      Files.createSymbolicLink(dest, Files.readSymbolicLink(src));
      PosixMetadata.chown(dest, owner.uid(), owner.gid());
    } else {
      int mode = options.mode().orElse(info.mode());
      Optional<Path> same = options.links().linkable(src, info, owner, mode);
      if (same.isPresent() && link(dest, same.get())) {
        return; // the linked inode already has the owner, mode and mtime the copy would give
      }
      // The destination no longer exists, so the copy creates it with O_EXCL: no link followed.
      options.bytes().copy(src, dest);
      if (!owner.equals(created)) {
        PosixMetadata.chown(dest, owner.uid(), owner.gid());
      }
      PosixMetadata.chmod(dest, mode);
    }
    PosixMetadata.setMtime(dest, info.mtime());
  }

  /** Links {@code existing} at {@code dest}; false when it cannot (another filesystem, say). */
  private static boolean link(Path dest, Path existing) {
    try {
      Files.createLink(dest, existing);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** Stamps directories deepest first, after their contents stopped changing their mtimes. */
  private void finishDirectories() throws IOException {
    for (int i = dirs.size() - 1; i >= 0; i--) {
      PendingDir dir = dirs.get(i);
      Ids owner = options.owner().orElse(new Ids(dir.info().uid(), dir.info().gid()));
      PosixMetadata.chown(dir.dest(), owner.uid(), owner.gid());
      PosixMetadata.chmod(dir.dest(), options.mode().orElse(dir.info().mode()));
      PosixMetadata.setMtime(dir.dest(), dir.info().mtime());
    }
  }
}

package dev.kiln.engine.fileop;

import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.Owner;
import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.ScopedPath;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * Applies one {@link FileAction} to a writable root filesystem with BuildKit's FileOp semantics.
 * Every path is resolved inside its root, so symlinks in the filesystem cannot reach the host.
 */
public final class FileActionApplier {
  private FileActionApplier() {}

  /** Applies {@code action}; {@code inputRoots.get(i)} is the read-only root of input i. */
  public static void apply(FileAction action, Path rootfs, List<Path> inputRoots, UserLookup users)
      throws IOException {
    apply(action, rootfs, inputRoots, LinkSource.NONE, users);
  }

  /**
   * Applies {@code action}; copies hard-link what {@code links} allows (inputs that are immutable
   * layers) instead of copying bytes.
   */
  public static void apply(
      FileAction action, Path rootfs, List<Path> inputRoots, LinkSource links, UserLookup users)
      throws IOException {
    if (action instanceof FileAction.Mkdir mkdir) {
      mkdir(mkdir, rootfs, users);
    } else if (action instanceof FileAction.Mkfile mkfile) {
      mkfile(mkfile, rootfs, users);
    } else if (action instanceof FileAction.Rm rm) {
      rm(rm, rootfs);
    } else if (action instanceof FileAction.Copy copy) {
      new CopyAction(copy, rootfs, inputRoots.get(copy.input()), owner(copy.owner(), users), links)
          .run();
    } else {
      throw new IllegalArgumentException("unknown file action " + action.summary());
    }
  }

  private static void mkdir(FileAction.Mkdir action, Path rootfs, UserLookup users)
      throws IOException {
    Path target = ScopedPath.resolve(rootfs, action.path(), true);
    Optional<FileInfo> existing = FileInfo.read(target);
    if (existing.isPresent()) {
      if (existing.get().isDirectory() && action.makeParents()) {
        return;
      }
      throw new IOException("mkdir " + action.path() + ": file exists");
    }
    Optional<Ids> owner = owner(action.owner(), users);
    if (action.makeParents()) {
      Directories.makeAll(rootfs, target, action.mode(), owner, action.path());
      return;
    }
    if (!Files.isDirectory(target.getParent(), LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("mkdir " + action.path() + ": no such file or directory");
    }
    Files.createDirectory(target);
    stamp(target, owner, action.mode());
  }

  private static void mkfile(FileAction.Mkfile action, Path rootfs, UserLookup users)
      throws IOException {
    Path target = ScopedPath.resolve(rootfs, action.path(), true);
    if (!Files.isDirectory(target.getParent(), LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("open " + action.path() + ": no such file or directory");
    }
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("open " + action.path() + ": is a directory");
    }
    // A fresh inode, never a write into the existing one: a file a copy hard-linked from a layer
    // is shared with that layer.
    Files.deleteIfExists(target);
    try (OutputStream out =
        Files.newOutputStream(
            target,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      out.write(action.data().getBytes(StandardCharsets.UTF_8));
    }
    stamp(target, owner(action.owner(), users), action.mode());
  }

  private static void rm(FileAction.Rm action, Path rootfs) throws IOException {
    Path target = ScopedPath.resolve(rootfs, action.path(), false);
    List<Path> victims;
    String base = target.getFileName() == null ? "" : target.getFileName().toString();
    if (action.allowWildcard() && GlobPattern.isGlob(base)) {
      victims = Wildcards.matchingChildren(target.getParent(), base);
    } else {
      victims = Files.exists(target, LinkOption.NOFOLLOW_LINKS) ? List.of(target) : List.of();
    }
    if (victims.isEmpty() && !action.allowNotFound()) {
      throw new IOException("rm " + action.path() + ": no such file or directory");
    }
    for (Path victim : victims) {
      if (victim.equals(rootfs)) {
        throw new IOException("rm " + action.path() + ": refusing to remove the root directory");
      }
      FileTrees.deleteRecursively(victim);
    }
  }

  private static void stamp(Path target, Optional<Ids> owner, int mode) throws IOException {
    if (owner.isPresent()) {
      PosixMetadata.chown(target, owner.get().uid(), owner.get().gid());
    }
    PosixMetadata.chmod(target, mode);
  }

  private static Optional<Ids> owner(Optional<Owner> owner, UserLookup users) throws IOException {
    return owner.isPresent() ? Optional.of(users.resolve(owner.get())) : Optional.empty();
  }
}

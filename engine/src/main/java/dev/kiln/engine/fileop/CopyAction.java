package dev.kiln.engine.fileop;

import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.snapshot.ScopedPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One copy action: expands the sources, decides between "copy as" and "copy into" the way BuildKit
 * does, and hands each source to {@link TreeCopier}.
 */
final class CopyAction {
  private static final int DEFAULT_DIR_MODE = 0755;

  private final FileAction.Copy action;
  private final Path rootfs;
  private final Path srcRoot;
  private final Optional<Ids> owner;
  private final TreeCopier.Options options;

  CopyAction(
      FileAction.Copy action, Path rootfs, Path srcRoot, Optional<Ids> owner, LinkSource links) {
    this.action = action;
    this.rootfs = rootfs;
    this.srcRoot = srcRoot;
    this.owner = owner;
    this.options =
        new TreeCopier.Options(
                Selection.of(action.includePatterns(), action.excludePatterns()),
                owner,
                action.mode())
            .withLinks(links);
  }

  void run() throws IOException {
    // "/./" marks where the part of the source that --parents keeps begins.
    String pattern = action.src().replace("/./", "/");
    List<String> sources;
    if (action.allowWildcard() && GlobPattern.isGlob(pattern)) {
      sources = Wildcards.expand(srcRoot, pattern);
      if (sources.isEmpty()) {
        if (action.allowEmptyWildcard()) {
          return;
        }
        throw new IOException(
            "failed to copy: " + action.src() + ": no such file or directory (no match)");
      }
    } else {
      sources = List.of(pattern);
    }
    for (String source : sources) {
      if (action.keepParents()) {
        copyKeepingParents(source);
      } else {
        copyOne(source);
      }
    }
  }

  /** {@code COPY --parents}: the source goes under the destination with its parent directories. */
  private void copyKeepingParents(String source) throws IOException {
    String cleaned = PathPatterns.clean(source);
    int pivot = action.src().indexOf("/./");
    if (pivot >= 0) {
      String prefix = PathPatterns.clean(action.src().substring(0, pivot));
      if (!prefix.isEmpty() && cleaned.startsWith(prefix + "/")) {
        cleaned = cleaned.substring(prefix.length() + 1);
      }
    }
    int slash = cleaned.lastIndexOf('/');
    String parents = slash < 0 ? "" : cleaned.substring(0, slash);
    String destDir = action.dest().replaceAll("/+$", "") + "/" + parents;
    Path dir = ScopedPath.resolve(rootfs, destDir, true);
    Directories.makeAll(rootfs, dir, DEFAULT_DIR_MODE, owner, destDir);
    Path src = ScopedPath.resolve(srcRoot, source, action.followSymlinks());
    if (FileInfo.read(src).isEmpty()) {
      throw new IOException("failed to copy: stat " + source + ": no such file or directory");
    }
    TreeCopier.copy(src, dir.resolve(baseName(source)), rootfs, options);
  }

  private void copyOne(String source) throws IOException {
    Path src = ScopedPath.resolve(srcRoot, source, action.followSymlinks());
    FileInfo srcInfo =
        FileInfo.read(src)
            .orElseThrow(
                () ->
                    new IOException(
                        "failed to copy: stat " + source + ": no such file or directory"));
    if (action.attemptUnpack()
        && srcInfo.kind() == FileInfo.Kind.REGULAR
        && ArchiveExtractor.isArchive(src)) {
      Path dir = ScopedPath.resolve(rootfs, action.dest(), true);
      Directories.makeAll(rootfs, dir, DEFAULT_DIR_MODE, owner, action.dest());
      ArchiveExtractor.extract(src, dir, rootfs, owner);
      return;
    }
    Path dest = prepareDest();
    Optional<FileInfo> destInfo = FileInfo.read(dest);
    if (srcInfo.isDirectory() && action.dirContentsOnly()) {
      if (destInfo.isEmpty()) {
        requireParent(dest);
        Files.createDirectory(dest);
        PosixMetadata.chown(
            dest,
            owner.map(Ids::uid).orElse(srcInfo.uid()),
            owner.map(Ids::gid).orElse(srcInfo.gid()));
        PosixMetadata.chmod(dest, action.mode().orElse(srcInfo.mode()));
      } else if (!destInfo.get().isDirectory()) {
        throw new IOException("failed to copy: " + action.dest() + ": not a directory");
      }
      TreeCopier.copyContents(src, dest, rootfs, options);
      PosixMetadata.setMtime(dest, srcInfo.mtime());
      return;
    }
    boolean into = destInfo.isPresent() && destInfo.get().isDirectory();
    Path target = into ? dest.resolve(baseName(source)) : dest;
    requireParent(target);
    TreeCopier.copy(src, target, rootfs, options);
  }

  /** Resolves the destination, creating it or its parent when the action asks for that. */
  private Path prepareDest() throws IOException {
    Path dest = ScopedPath.resolve(rootfs, action.dest(), true);
    boolean namesDirectory = action.dest().endsWith("/") || action.dest().endsWith("/.");
    if (action.createDestPath()) {
      Path dir = namesDirectory ? dest : dest.getParent();
      Directories.makeAll(rootfs, dir, DEFAULT_DIR_MODE, owner, action.dest());
    } else if (namesDirectory && !Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(
          "failed to copy: stat " + action.dest() + ": no such file or directory");
    }
    return dest;
  }

  private void requireParent(Path target) throws IOException {
    if (!Files.isDirectory(target.getParent(), LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(
          "failed to copy: mkdir /" + rootfs.relativize(target) + ": no such file or directory");
    }
  }

  private static String baseName(String source) {
    String cleaned = PathPatterns.clean(source);
    int slash = cleaned.lastIndexOf('/');
    return slash < 0 ? cleaned : cleaned.substring(slash + 1);
  }
}

package dev.kiln.engine.fileop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;

/**
 * The lstat of a path: its kind, numeric owner, mode bits, modification time, and what tells a
 * changed file from an unchanged one without reading it (size, inode, change time).
 */
public record FileInfo(
    Kind kind, int uid, int gid, int mode, FileTime mtime, long size, long inode, FileTime ctime) {
  /** What a directory entry is; copies handle the first three and skip the rest. */
  public enum Kind {
    DIRECTORY,
    REGULAR,
    SYMLINK,
    OTHER
  }

  private static final int TYPE_MASK = 0170000;

  /** Reads {@code path} itself, or empty when nothing is there. */
  public static Optional<FileInfo> read(Path path) throws IOException {
    Map<String, Object> attrs;
    try {
      attrs =
          Files.readAttributes(
              path, "unix:mode,uid,gid,lastModifiedTime,size,ino,ctime", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    int rawMode = (Integer) attrs.get("mode");
    return Optional.of(
        new FileInfo(
            kindOf(rawMode & TYPE_MASK),
            (Integer) attrs.get("uid"),
            (Integer) attrs.get("gid"),
            rawMode & 07777,
            (FileTime) attrs.get("lastModifiedTime"),
            (Long) attrs.get("size"),
            (Long) attrs.get("ino"),
            (FileTime) attrs.get("ctime")));
  }

  public boolean isDirectory() {
    return kind == Kind.DIRECTORY;
  }

  private static Kind kindOf(int type) {
    if (type == 0040000) {
      return Kind.DIRECTORY;
    }
    if (type == 0100000) {
      return Kind.REGULAR;
    }
    if (type == 0120000) {
      return Kind.SYMLINK;
    }
    return Kind.OTHER;
  }
}

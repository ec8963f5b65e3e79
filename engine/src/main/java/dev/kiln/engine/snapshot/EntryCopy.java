package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * Copies one directory entry with its metadata (owner, all mode bits, modification time), never
 * following links. Directories are created empty; the caller fills them and then calls {@link
 * #finishDirectory} so their time is not disturbed by what was written inside.
 */
final class EntryCopy {
  private static final int TYPE_MASK = 0170000;
  private static final int DIRECTORY = 0040000;
  private static final int REGULAR = 0100000;
  private static final int SYMLINK = 0120000;

  private EntryCopy() {}

  /** The lstat attributes that copies and diffs compare. */
  static Map<String, Object> stat(Path path) throws IOException {
    return Files.readAttributes(
        path, "unix:mode,uid,gid,size,lastModifiedTime,rdev", LinkOption.NOFOLLOW_LINKS);
  }

  static int type(Map<String, Object> stat) {
    return (Integer) stat.get("mode") & TYPE_MASK;
  }

  static boolean isDirectory(Map<String, Object> stat) {
    return type(stat) == DIRECTORY;
  }

  /** Copies {@code src} to the free path {@code dest}; returns false for kinds it skips. */
  static boolean copy(Path src, Path dest, Map<String, Object> stat) throws IOException {
    int type = type(stat);
    if (type == DIRECTORY) {
      Files.createDirectory(dest);
    } else if (type == REGULAR) {
      Files.copy(src, dest, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
    } else if (type == SYMLINK) {
      Files.createSymbolicLink(dest, Files.readSymbolicLink(src));
    } else {
      // Devices, fifos and sockets do not belong in build snapshots; whiteouts are handled apart.
      return false;
    }
    Files.setAttribute(dest, "unix:uid", stat.get("uid"), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(dest, "unix:gid", stat.get("gid"), LinkOption.NOFOLLOW_LINKS);
    if (type != SYMLINK) {
      // After chown, which clears setuid bits; chmod would follow a symlink.
      Files.setAttribute(dest, "unix:mode", (Integer) stat.get("mode") & 07777);
      Files.setLastModifiedTime(dest, (FileTime) stat.get("lastModifiedTime"));
    }
    return true;
  }

  static void finishDirectory(Path dest, Map<String, Object> stat) throws IOException {
    Files.setLastModifiedTime(dest, (FileTime) stat.get("lastModifiedTime"));
  }
}

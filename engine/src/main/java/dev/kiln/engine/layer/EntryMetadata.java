package dev.kiln.engine.layer;

import dev.kiln.engine.host.Ownership;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/** Owner, mode and mtime of what the unpacker wrote; owner and mtime never follow a symlink. */
final class EntryMetadata {
  private EntryMetadata() {}

  /** lchown. */
  static void chown(Path path, int uid, int gid) throws IOException {
    Ownership.lchown(path, uid, gid);
  }

  /**
   * chmod with all twelve bits (after chown, which clears setuid). chmod follows symlinks: call it
   * only on what the unpacker itself just made or checked to be a file, directory or node.
   */
  static void chmod(Path path, int mode) throws IOException {
    Files.setAttribute(path, "unix:mode", mode & 07777);
  }

  /**
   * Sets the modification and access time of {@code path} itself, in one call that opens nothing
   * (Java's own way opens the file: a FIFO would block it).
   */
  static void setMtime(Path path, FileTime time) throws IOException {
    NodeCalls.setTimes(path, time.toInstant());
  }
}

package dev.kiln.engine.fileop;

import dev.kiln.engine.host.Ownership;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;

/** Sets owner, mode bits and modification time on a path without following a final symlink. */
public final class PosixMetadata {
  private PosixMetadata() {}

  /** Changes the owner of {@code path} itself (lchown), also for a symlink. */
  public static void chown(Path path, int uid, int gid) throws IOException {
    Ownership.lchown(path, uid, gid);
  }

  /**
   * Sets all twelve mode bits, setuid/setgid/sticky included (PosixFilePermission cannot express
   * them). Call after {@link #chown}: changing the owner clears setuid bits. Never call on a
   * symlink: chmod follows it.
   */
  public static void chmod(Path path, int mode) throws IOException {
    Files.setAttribute(path, "unix:mode", mode & 07777);
  }

  /** Sets the modification (and access) time of {@code path} itself. */
  public static void setMtime(Path path, FileTime time) throws IOException {
    Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(time, time, null);
  }

  /** The twelve mode bits of {@code path} itself. */
  public static int mode(Path path) throws IOException {
    return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }
}

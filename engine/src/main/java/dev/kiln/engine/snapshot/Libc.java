package dev.kiln.engine.snapshot;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The few libc calls Java has no API for (mount, umount2, mknod and the fsopen mount API), made
 * in-process through JNA: each one saves a fork and exec of a host tool, which costs milliseconds.
 * Failures become IOExceptions naming the call, the path and the system's error text.
 */
public final class Libc {
  static final int MNT_DETACH = 2;
  static final int FSOPEN_CLOEXEC = 1;
  static final int FSCONFIG_SET_FLAG = 0;
  static final int FSCONFIG_SET_STRING = 1;
  static final int FSCONFIG_CMD_CREATE = 6;
  static final int FSMOUNT_CLOEXEC = 1;

  /** mount(2)'s MS_NODEV and fsmount(2)'s MOUNT_ATTR_NODEV (the same bit). */
  static final int NODEV = 4;

  static final int MOVE_MOUNT_F_EMPTY_PATH = 4;
  static final int AT_FDCWD = -100;
  static final int EBUSY = 16;
  static final int EINVAL = 22;

  private static final int S_IFCHR = 0020000;

  // Declared with LastErrorException so that JNA captures errno right after each call.
  interface Api extends Library {
    int mount(String source, String target, String fstype, long flags, String data)
        throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int mknod(String path, int mode, long dev) throws LastErrorException;

    int fsopen(String fsName, int flags) throws LastErrorException;

    int fsconfig(int fd, int cmd, String key, String value, int aux) throws LastErrorException;

    int fsmount(int fd, int flags, int attrFlags) throws LastErrorException;

    int move_mount(int fromDirFd, String fromPath, int toDirFd, String toPath, int flags)
        throws LastErrorException;

    int close(int fd);

    String strerror(int errno);
  }

  private static final class Holder {
    static final Api C = Native.load("c", Api.class);
  }

  private Libc() {}

  static Api api() {
    return Holder.C;
  }

  /** mount(2). */
  public static void mount(String source, Path target, String fsType, long flags, String data)
      throws IOException {
    try {
      api().mount(source, target.toString(), fsType, flags, data);
    } catch (LastErrorException e) {
      throw error("mount " + fsType + " on " + target, e);
    }
  }

  /** umount2(2); {@code flags} is 0 or {@link #MNT_DETACH}. */
  public static void umount2(Path target, int flags) throws IOException {
    try {
      api().umount2(target.toString(), flags);
    } catch (LastErrorException e) {
      throw error("umount " + target, e);
    }
  }

  /** Creates an overlayfs whiteout at {@code path}: a character device numbered 0:0. */
  public static void mknodWhiteout(Path path) throws IOException {
    try {
      api().mknod(path.toString(), S_IFCHR | 0644, 0);
    } catch (LastErrorException e) {
      throw error("mknod " + path, e);
    }
  }

  /** An IOException for a failed call, with errno's text; {@link ErrnoException} keeps errno. */
  static ErrnoException error(String what, LastErrorException e) {
    return new ErrnoException(what + ": " + strerror(e.getErrorCode()), e.getErrorCode());
  }

  static String strerror(int errno) {
    String text = api().strerror(errno);
    return text == null ? "errno " + errno : text;
  }

  /** A failed system call; callers branch on {@link #errno()} (EBUSY, EINVAL...). */
  public static final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String message, int errno) {
      super(message);
      this.errno = errno;
    }

    public int errno() {
      return errno;
    }
  }
}

package dev.kiln.engine.layer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The libc calls unpacking needs that Java has no API for, made in-process through JNA: mknod for
 * device nodes and FIFOs, lsetxattr for attributes outside the {@code user.} namespace, and
 * utimensat, since Java sets times by opening the file, which blocks on a FIFO. None follows a
 * symlink at the final component.
 */
final class NodeCalls {
  static final int S_IFIFO = 0010000;
  static final int S_IFCHR = 0020000;
  static final int S_IFBLK = 0060000;
  static final int EPERM = 1;
  static final int E2BIG = 7;
  static final int EACCES = 13;
  static final int EINVAL = 22;
  static final int ERANGE = 34;
  static final int EOPNOTSUPP = 95;
  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;

  interface Api extends Library {
    int mknod(String path, int mode, long dev) throws LastErrorException;

    int lsetxattr(String path, String name, byte[] value, long size, int flags)
        throws LastErrorException;

    int utimensat(int dirFd, String path, long[] times, int flags) throws LastErrorException;

    String strerror(int errno);
  }

  private static final class Holder {
    static final Api C = Native.load("c", Api.class);
  }

  private NodeCalls() {}

  /** A failed call; callers tell "not allowed here" (EPERM...) from real failures by errno. */
  static final class CallFailed extends IOException {
    final int errno;

    CallFailed(String message, int errno) {
      super(message);
      this.errno = errno;
    }

    /**
     * The kernel will not take this attribute here: no capability (rootless), a filesystem without
     * support, or a value it does not accept.
     */
    boolean refusedByKernel() {
      return errno == EPERM
          || errno == EACCES
          || errno == EOPNOTSUPP
          || errno == EINVAL
          || errno == E2BIG
          || errno == ERANGE;
    }
  }

  /** mknod(2): {@code type} is one of the S_IF constants, {@code mode} the permission bits. */
  static void mknod(Path path, int type, int mode, int major, int minor) throws CallFailed {
    try {
      Holder.C.mknod(path.toString(), type | (mode & 0777), makedev(major, minor));
    } catch (LastErrorException e) {
      throw failed("mknod " + path, e);
    }
  }

  /** lsetxattr(2). */
  static void lsetxattr(Path path, String name, byte[] value) throws CallFailed {
    try {
      Holder.C.lsetxattr(path.toString(), name, value, value.length, 0);
    } catch (LastErrorException e) {
      throw failed("setxattr " + name + " on " + path, e);
    }
  }

  /** utimensat(2) without following a final symlink: access and modification time. */
  static void setTimes(Path path, Instant time) throws CallFailed {
    long[] times = {time.getEpochSecond(), time.getNano(), time.getEpochSecond(), time.getNano()};
    try {
      Holder.C.utimensat(AT_FDCWD, path.toString(), times, AT_SYMLINK_NOFOLLOW);
    } catch (LastErrorException e) {
      throw failed("utimensat " + path, e);
    }
  }

  /** glibc's makedev: 12 bits of major and 20 of minor in the classic layout, the rest above. */
  static long makedev(int major, int minor) {
    long ma = major & 0xffffffffL;
    long mi = minor & 0xffffffffL;
    return ((ma & 0xfffff000L) << 32)
        | ((ma & 0x00000fffL) << 8)
        | ((mi & 0xffffff00L) << 12)
        | (mi & 0x000000ffL);
  }

  private static CallFailed failed(String what, LastErrorException e) {
    String text = Holder.C.strerror(e.getErrorCode());
    return new CallFailed(
        what + ": " + (text == null ? "errno " + e.getErrorCode() : text), e.getErrorCode());
  }
}

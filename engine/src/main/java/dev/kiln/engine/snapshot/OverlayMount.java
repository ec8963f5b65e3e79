package dev.kiln.engine.snapshot;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Mounts and unmounts overlayfs in the JVM's own mount namespace with system calls, not the {@code
 * mount} tool. Layer paths are absolute; when the option string would exceed mount(2)'s one-page
 * limit (deep stacks), the layers are passed one by one through the fsopen mount API instead.
 */
public final class OverlayMount {
  // mount(2) copies at most one page of options, the terminating NUL included.
  static final int MAX_OPTIONS_BYTES = 4095;

  private OverlayMount() {}

  /**
   * Mounts an overlay of {@code lowers} (topmost first) at {@code target}, writable into {@code
   * upper} when given. Opaque directories use {@code user.overlay.opaque} ({@code userxattr}).
   */
  public static void mount(List<Path> lowers, Optional<ActiveLayer> upper, Path target)
      throws IOException {
    if (lowers.isEmpty()) {
      throw new IllegalArgumentException("an overlay needs at least one lower directory");
    }
    Optional<String> options = options(lowers, upper);
    if (options.isPresent()) {
      // nodev: a step may mknod (Docker's CAP_MKNOD) but never open a device node in its
      // filesystem, as Docker's device cgroup denies it. bwrap's --bind of the root adds nodev
      // too; this keeps it so for any other user of the mount. /dev is bwrap's own tmpfs.
      Libc.mount("overlay", target, "overlay", Libc.NODEV, options.get());
      return;
    }
    try {
      mountWithFsApi(lowers, upper, target);
    } catch (IOException e) {
      throw new IOException(
          "cannot mount "
              + lowers.size()
              + " layers at "
              + target
              + ": their paths exceed the one-page option limit of mount(2), and the fsopen"
              + " mount API failed ("
              + e.getMessage()
              + "); kernel >= 6.8 lifts the limit",
          e);
    }
  }

  /** Unmounts {@code target}; if a process still uses it, detaches it and the kernel frees it. */
  public static void unmount(Path target) throws IOException {
    try {
      Libc.umount2(target, 0);
    } catch (Libc.ErrnoException e) {
      if (e.errno() != Libc.EBUSY) {
        throw e;
      }
      Libc.umount2(target, Libc.MNT_DETACH);
    }
  }

  /** Detaches {@code target} at once, whoever still uses it: for crash recovery. */
  public static void detach(Path target) throws IOException {
    Libc.umount2(target, Libc.MNT_DETACH);
  }

  /**
   * The mount(2) option string, or empty when it would not fit in a page or a path holds a
   * character the option parser treats specially ({@code , : \}); the fsopen API takes such paths
   * as they are.
   */
  static Optional<String> options(List<Path> lowers, Optional<ActiveLayer> upper) {
    StringBuilder options = new StringBuilder("lowerdir=");
    for (int i = 0; i < lowers.size(); i++) {
      options.append(i == 0 ? "" : ":").append(lowers.get(i));
    }
    upper.ifPresent(
        active ->
            options
                .append(",upperdir=")
                .append(active.upper())
                .append(",workdir=")
                .append(active.work()));
    options.append(",userxattr");
    String value = options.toString();
    boolean special =
        lowers.stream().anyMatch(OverlayMount::hasSpecialChars)
            || upper
                .map(a -> hasSpecialChars(a.upper()) || hasSpecialChars(a.work()))
                .orElse(false);
    if (special || value.getBytes(StandardCharsets.UTF_8).length > MAX_OPTIONS_BYTES) {
      return Optional.empty();
    }
    return Optional.of(value);
  }

  private static boolean hasSpecialChars(Path path) {
    String s = path.toString();
    return s.indexOf(',') >= 0 || s.indexOf(':') >= 0 || s.indexOf('\\') >= 0;
  }

  /** Mounts through fsopen/fsconfig/fsmount/move_mount: one {@code lowerdir+} per layer. */
  static void mountWithFsApi(List<Path> lowers, Optional<ActiveLayer> upper, Path target)
      throws IOException {
    Libc.Api c = Libc.api();
    int fs;
    try {
      fs = c.fsopen("overlay", Libc.FSOPEN_CLOEXEC);
    } catch (LastErrorException e) {
      throw Libc.error("fsopen overlay", e);
    }
    try {
      for (Path lower : lowers) {
        setString(c, fs, "lowerdir+", lower.toString());
      }
      if (upper.isPresent()) {
        setString(c, fs, "upperdir", upper.get().upper().toString());
        setString(c, fs, "workdir", upper.get().work().toString());
      }
      config(c, fs, Libc.FSCONFIG_SET_FLAG, "userxattr", null);
      config(c, fs, Libc.FSCONFIG_CMD_CREATE, null, null);
      int mnt;
      try {
        mnt = c.fsmount(fs, Libc.FSMOUNT_CLOEXEC, Libc.NODEV);
      } catch (LastErrorException e) {
        throw Libc.error("fsmount overlay", e);
      }
      try {
        c.move_mount(mnt, "", Libc.AT_FDCWD, target.toString(), Libc.MOVE_MOUNT_F_EMPTY_PATH);
      } catch (LastErrorException e) {
        throw Libc.error("move_mount overlay to " + target, e);
      } finally {
        c.close(mnt);
      }
    } finally {
      c.close(fs);
    }
  }

  private static void setString(Libc.Api c, int fs, String key, String value) throws IOException {
    config(c, fs, Libc.FSCONFIG_SET_STRING, key, value);
  }

  private static void config(Libc.Api c, int fs, int cmd, String key, String value)
      throws IOException {
    try {
      c.fsconfig(fs, cmd, key, value, 0);
    } catch (LastErrorException e) {
      throw Libc.error("fsconfig " + (key == null ? "create" : key + " " + value), e);
    }
  }
}

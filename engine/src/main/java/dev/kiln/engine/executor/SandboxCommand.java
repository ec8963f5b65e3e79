package dev.kiln.engine.executor;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the host command line that runs a step: {@code bwrap} with the already mounted overlay as
 * its root, through {@code setpriv} for a non-root user. It is exec'd directly, no shell: every
 * value, user data included, is one argv element.
 */
public final class SandboxCommand {
  /** Docker's default capabilities for root in a container. */
  public static final List<String> DEFAULT_CAPS =
      List.of(
          "CAP_CHOWN",
          "CAP_DAC_OVERRIDE",
          "CAP_FOWNER",
          "CAP_FSETID",
          "CAP_KILL",
          "CAP_SETGID",
          "CAP_SETUID",
          "CAP_SETPCAP",
          "CAP_NET_BIND_SERVICE",
          "CAP_NET_RAW",
          "CAP_SYS_CHROOT",
          "CAP_MKNOD",
          "CAP_AUDIT_WRITE",
          "CAP_SETFCAP");

  /** BuildKit's PATH for steps whose environment has none. */
  public static final String DEFAULT_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private SandboxCommand() {}

  /**
   * The full argv for a root filesystem mounted at {@code rootfs}, which must already hold {@code
   * /proc} and {@code /dev}; {@code spec.network()} must not be SANDBOX.
   */
  public static List<String> argv(ExecSpec spec, UnixUser user, Path rootfs) {
    return argv(spec, user, rootfs, List.of());
  }

  /** The full argv, with {@code mountArgs} (bwrap mount options) after {@code /proc} and /dev. */
  public static List<String> argv(
      ExecSpec spec, UnixUser user, Path rootfs, List<String> mountArgs) {
    List<String> argv = new ArrayList<>();
    if (!user.isRoot()) {
      argv.addAll(
          List.of(
              "setpriv",
              "--reuid",
              Long.toString(user.uid()),
              "--regid",
              Long.toString(user.gid()),
              "--clear-groups"));
    }
    argv.add("bwrap");
    if (!user.isRoot()) {
      argv.add("--unshare-user");
    }
    argv.addAll(List.of("--unshare-ipc", "--unshare-pid", "--unshare-uts"));
    if (spec.network() != NetworkMode.HOST) {
      argv.add("--unshare-net");
    }
    argv.add("--die-with-parent");
    argv.addAll(List.of("--bind", rootfs.toString(), "/"));
    argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
    argv.addAll(mountArgs);
    argv.addAll(List.of("--chdir", cwd(spec)));
    argv.add("--clearenv");
    boolean hasPath = false;
    boolean hasHome = false;
    for (String entry : spec.env()) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        continue; // Docker drops entries without a name or a value separator.
      }
      String name = entry.substring(0, eq);
      hasPath |= name.equals("PATH");
      hasHome |= name.equals("HOME");
      argv.addAll(List.of("--setenv", name, entry.substring(eq + 1)));
    }
    if (!hasPath) {
      argv.addAll(List.of("--setenv", "PATH", DEFAULT_PATH));
    }
    if (!hasHome) {
      argv.addAll(List.of("--setenv", "HOME", user.home()));
    }
    if (user.isRoot() && spec.security() == SecurityMode.INSECURE) {
      argv.addAll(List.of("--cap-add", "ALL"));
    } else if (user.isRoot()) {
      // bwrap started by root keeps every capability unless told otherwise.
      argv.addAll(List.of("--cap-drop", "ALL"));
      for (String cap : DEFAULT_CAPS) {
        argv.addAll(List.of("--cap-add", cap));
      }
    }
    argv.add("--");
    argv.addAll(spec.args());
    return argv;
  }

  private static String cwd(ExecSpec spec) {
    return spec.cwd() == null || spec.cwd().isEmpty() ? "/" : spec.cwd();
  }
}

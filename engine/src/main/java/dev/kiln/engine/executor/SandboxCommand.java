package dev.kiln.engine.executor;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the host command line that runs a step: {@code unshare} gives a private mount namespace in
 * which a tiny script mounts the overlay and execs {@code bwrap} (through {@code setpriv} for a
 * non-root user). Every value, user data included, travels as a positional parameter of the script,
 * never spliced into its text.
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

  // $1..$4: lowerdir, upperdir, workdir, merged mount point (relative ones to the cwd, which is
  // the snapshots directory); the rest is the command to exec. /proc and /dev are created as
  // root because a non-root bwrap could not create them in a root-owned /.
  static final String SCRIPT =
      "lower=$1; upper=$2; work=$3; merged=$4; shift 4\n"
          + "mount -t overlay overlay"
          + " -o \"lowerdir=$lower,upperdir=$upper,workdir=$work,userxattr\" \"$merged\" || exit 125\n"
          + "mkdir -p \"$merged/proc\" \"$merged/dev\" || exit 125\n"
          + "exec \"$@\"\n";

  private SandboxCommand() {}

  /** Where the overlay goes: lowerdir value, upper and work dirs relative to the snapshots dir. */
  public record Overlay(String lowerDirs, String upperDir, String workDir, Path mountPoint) {}

  /** The full argv; {@code spec.network()} must not be SANDBOX. */
  public static List<String> argv(ExecSpec spec, UnixUser user, Overlay overlay) {
    List<String> argv = new ArrayList<>();
    argv.addAll(List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", SCRIPT));
    argv.add("kiln-sandbox");
    argv.add(overlay.lowerDirs());
    argv.add(overlay.upperDir());
    argv.add(overlay.workDir());
    argv.add(overlay.mountPoint().toString());
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
    argv.addAll(List.of("--bind", overlay.mountPoint().toString(), "/"));
    argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
    argv.addAll(List.of("--chdir", cwd(spec)));
    argv.add("--clearenv");
    boolean hasPath = false;
    for (String entry : spec.env()) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        continue; // Docker drops entries without a name or a value separator.
      }
      String name = entry.substring(0, eq);
      hasPath |= name.equals("PATH");
      argv.addAll(List.of("--setenv", name, entry.substring(eq + 1)));
    }
    if (!hasPath) {
      argv.addAll(List.of("--setenv", "PATH", DEFAULT_PATH));
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

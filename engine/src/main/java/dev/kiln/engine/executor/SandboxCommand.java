package dev.kiln.engine.executor;

import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.host.UserNamespace;
import dev.kiln.engine.snapshot.HostCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
    return argv(spec, user, rootfs, mountArgs, Optional.empty());
  }

  /**
   * The full argv, the step confined by the seccomp filter in {@code seccomp} unless it is
   * insecure: bwrap takes a filter only on a descriptor, which a Java child cannot inherit, so the
   * host's {@code sh} opens it as descriptor 3 and execs the rest (bwrap closes it).
   */
  public static List<String> argv(
      ExecSpec spec, UnixUser user, Path rootfs, List<String> mountArgs, Optional<Path> seccomp) {
    return argv(spec, user, rootfs, mountArgs, seccomp, "");
  }

  /**
   * The full argv, with {@code prelude} (shell lines, each ending in {@code &&}, that join the
   * step's cgroup and set its rlimits) run by that same shell before it execs bwrap.
   */
  public static List<String> argv(
      ExecSpec spec,
      UnixUser user,
      Path rootfs,
      List<String> mountArgs,
      Optional<Path> seccomp,
      String prelude) {
    List<String> argv = new ArrayList<>();
    boolean filtered = seccomp.isPresent() && spec.security() != SecurityMode.INSECURE;
    if (filtered || !prelude.isEmpty()) {
      String exec = filtered ? "exec \"$@\" 3<\"$0\"" : "exec \"$@\"";
      argv.addAll(List.of("sh", "-c", prelude + exec, filtered ? seccomp.get().toString() : "sh"));
    }
    // Without subordinate ids the step's uid does not exist here: bwrap maps it to Kiln's own in a
    // namespace of the step's (whatever the step writes is root's on disk).
    boolean mappedUser = !user.isRoot() && UserNamespace.current().singleId();
    if (!user.isRoot() && !mappedUser) {
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
    if (mappedUser) {
      argv.addAll(
          List.of(
              "--unshare-user",
              "--uid",
              Long.toString(user.uid()),
              "--gid",
              Long.toString(user.gid())));
    } else if (!user.isRoot()) {
      argv.add("--unshare-user");
    }
    argv.addAll(List.of("--unshare-ipc", "--unshare-pid", "--unshare-uts"));
    if (!spec.network().sharesHost()) {
      argv.add("--unshare-net");
    }
    // The step's command is its pid 1, as in Docker: no bwrap init whose command line (host paths
    // of the root, mounts and secret files) the step could read in /proc/1/cmdline.
    argv.addAll(List.of("--as-pid-1", "--die-with-parent"));
    argv.addAll(List.of("--bind", rootfs.toString(), "/"));
    argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
    if (spec.security() != SecurityMode.INSECURE) {
      // As Docker's: a privileged (insecure) step sees /proc whole and writable.
      argv.addAll(ProcMasks.ARGS);
    }
    argv.addAll(mountArgs);
    argv.addAll(List.of("--chdir", cwd(spec)));
    // No --clearenv: the step inherits the process environment, which holds only PATH (set below)
    // and the secret variables (hostEnvironment), so that those stay off the command line.
    environment(spec, user).forEach((name, value) -> argv.addAll(List.of("--setenv", name, value)));
    for (Map.Entry<String, String> secret : spec.secretEnv().entrySet()) {
      if (readByHostTools(secret.getKey())) {
        // setpriv and bwrap would read it themselves: it must go on the command line instead.
        argv.addAll(List.of("--setenv", secret.getKey(), secret.getValue()));
      }
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
    if (filtered) {
      argv.addAll(List.of("--seccomp", "3"));
    }
    argv.add("--");
    argv.addAll(spec.args());
    return argv;
  }

  /**
   * The step's variables, secrets aside, in order: its own (Docker drops entries without a name or
   * a value separator), then PATH and HOME when it sets neither.
   */
  static Map<String, String> environment(ExecSpec spec, UnixUser user) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String entry : spec.env()) {
      int eq = entry.indexOf('=');
      if (eq > 0 && !spec.secretEnv().containsKey(entry.substring(0, eq))) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    env.putIfAbsent("PATH", DEFAULT_PATH);
    env.putIfAbsent("HOME", user.home());
    return env;
  }

  /**
   * The environment to start the command with: the host PATH and the step's secret variables
   * (visible only to the process's owner in {@code /proc/PID/environ}, unlike its argv).
   */
  public static Map<String, String> hostEnvironment(ExecSpec spec) {
    Map<String, String> env = new HashMap<>(HostCommand.HOST_ENV);
    spec.secretEnv()
        .forEach(
            (name, value) -> {
              if (!readByHostTools(name)) {
                env.put(name, value);
              }
            });
    return env;
  }

  /** Variables the dynamic loader or libc of a host tool acts on (glibc's unsecure list). */
  private static boolean readByHostTools(String name) {
    return name.startsWith("LD_")
        || name.startsWith("MALLOC_")
        || HOST_SENSITIVE.contains(name)
        || HostCommand.HOST_ENV.containsKey(name);
  }

  private static final Set<String> HOST_SENSITIVE =
      Set.of(
          "GCONV_PATH",
          "GETCONF_DIR",
          "GLIBC_TUNABLES",
          "HOSTALIASES",
          "LOCALDOMAIN",
          "LOCPATH",
          "NIS_PATH",
          "NLSPATH",
          "RESOLV_HOST_CONF",
          "RES_OPTIONS",
          "TMPDIR",
          "TZDIR");

  private static String cwd(ExecSpec spec) {
    return spec.cwd() == null || spec.cwd().isEmpty() ? "/" : spec.cwd();
  }
}

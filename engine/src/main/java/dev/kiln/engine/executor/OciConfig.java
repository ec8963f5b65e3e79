package dev.kiln.engine.executor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.SecurityMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A step's OCI runtime {@code config.json} (runtime-spec 1.0.2), for crun: the same sandbox as
 * {@link SandboxCommand}'s bwrap one (namespaces, Docker's capabilities and {@code /proc} masks, a
 * fresh {@code /dev}, Kiln's seccomp program, the step's mounts), except that no_new_privs follows
 * the configuration and the root is not {@code nosuid}, so that setuid binaries of an image work.
 */
final class OciConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The host devices bound into the step's fresh {@code /dev}, as bwrap's {@code --dev} has. */
  static final List<String> DEVICES =
      List.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty");

  private static final List<String> MASKED =
      List.of(
          "/proc/asound",
          "/proc/acpi",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/proc/scsi");

  private static final List<String> READ_ONLY =
      List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /** Every capability, by number, for insecure root steps (as a privileged container has). */
  static final List<String> ALL_CAPS =
      List.of(
          "CAP_CHOWN",
          "CAP_DAC_OVERRIDE",
          "CAP_DAC_READ_SEARCH",
          "CAP_FOWNER",
          "CAP_FSETID",
          "CAP_KILL",
          "CAP_SETGID",
          "CAP_SETUID",
          "CAP_SETPCAP",
          "CAP_LINUX_IMMUTABLE",
          "CAP_NET_BIND_SERVICE",
          "CAP_NET_BROADCAST",
          "CAP_NET_ADMIN",
          "CAP_NET_RAW",
          "CAP_IPC_LOCK",
          "CAP_IPC_OWNER",
          "CAP_SYS_MODULE",
          "CAP_SYS_RAWIO",
          "CAP_SYS_CHROOT",
          "CAP_SYS_PTRACE",
          "CAP_SYS_PACCT",
          "CAP_SYS_ADMIN",
          "CAP_SYS_BOOT",
          "CAP_SYS_NICE",
          "CAP_SYS_RESOURCE",
          "CAP_SYS_TIME",
          "CAP_SYS_TTY_CONFIG",
          "CAP_MKNOD",
          "CAP_LEASE",
          "CAP_AUDIT_WRITE",
          "CAP_AUDIT_CONTROL",
          "CAP_SETFCAP",
          "CAP_MAC_OVERRIDE",
          "CAP_MAC_ADMIN",
          "CAP_SYSLOG",
          "CAP_WAKE_ALARM",
          "CAP_BLOCK_SUSPEND",
          "CAP_AUDIT_READ",
          "CAP_PERFMON",
          "CAP_BPF",
          "CAP_CHECKPOINT_RESTORE");

  private static final String SECCOMP_BPF =
      Base64.getEncoder().encodeToString(SeccompFilter.program());

  /**
   * How the host runs the step's runtime; {@code ownCaps} is Kiln's permitted set, the most an
   * insecure step can be given.
   */
  record Host(boolean noNewPrivs, long ownCaps) {}

  private OciConfig() {}

  /** The configuration of {@code step} on {@code host}. */
  static ObjectNode of(RootfsExecutor.Step step, Host host) {
    ExecSpec spec = step.spec();
    UnixUser user = step.user();
    boolean insecure = spec.security() == SecurityMode.INSECURE;
    ObjectNode config = JSON.createObjectNode();
    config.put("ociVersion", "1.0.2");
    ObjectNode process = config.putObject("process");
    process.put("terminal", false);
    ObjectNode ids = process.putObject("user");
    ids.put("uid", user.uid());
    ids.put("gid", user.gid());
    ids.putArray("additionalGids");
    strings(process.putArray("args"), spec.args());
    ArrayNode env = process.putArray("env");
    SandboxCommand.environment(spec, user).forEach((name, value) -> env.add(name + "=" + value));
    spec.secretEnv().forEach((name, value) -> env.add(name + "=" + value));
    process.put("cwd", spec.cwd() == null || spec.cwd().isEmpty() ? "/" : spec.cwd());
    capabilities(process.putObject("capabilities"), user, insecure, host);
    process.put("noNewPrivileges", host.noNewPrivs());
    ObjectNode root = config.putObject("root");
    root.put("path", step.rootfs().toString());
    root.put("readonly", step.attached().isPresent());
    mounts(config.putArray("mounts"), step, insecure);
    ObjectNode linux = config.putObject("linux");
    ArrayNode namespaces = linux.putArray("namespaces");
    for (String type : List.of("pid", "ipc", "uts", "mount")) {
      namespaces.addObject().put("type", type);
    }
    if (!spec.network().sharesHost()) {
      namespaces.addObject().put("type", "network");
    }
    if (!insecure) {
      strings(linux.putArray("maskedPaths"), MASKED);
      strings(linux.putArray("readonlyPaths"), READ_ONLY);
      seccomp(linux.putObject("seccomp"));
      // crun loads this program as it is: the JSON form above cannot say "another ABI gets EPERM"
      // (libseccomp kills such a call), which bwrap's use of the same program does.
      config.putObject("annotations").put("run.oci.seccomp_bpf_data", SECCOMP_BPF);
    }
    return config;
  }

  /**
   * Writes the configuration of {@code step} to {@code bundle/config.json}, readable by Kiln only.
   */
  static void write(Path bundle, RootfsExecutor.Step step, Host host) throws IOException {
    Path file = bundle.resolve("config.json");
    Files.write(
        file,
        JSON.writeValueAsBytes(of(step, host)),
        java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE);
  }

  private static void capabilities(ObjectNode caps, UnixUser user, boolean insecure, Host host) {
    List<String> granted = insecure ? held(host.ownCaps()) : SandboxCommand.DEFAULT_CAPS;
    // A non-root step holds none, but its bounding set is what a setuid-root binary gains.
    List<String> held = user.isRoot() ? granted : List.of();
    strings(caps.putArray("bounding"), granted);
    strings(caps.putArray("effective"), held);
    strings(caps.putArray("permitted"), held);
    caps.putArray("inheritable");
    caps.putArray("ambient");
  }

  /** The names of the capabilities in {@code caps}, a bit set by number. */
  static List<String> held(long caps) {
    List<String> names = new ArrayList<>();
    for (int cap = 0; cap < ALL_CAPS.size(); cap++) {
      if ((caps & (1L << cap)) != 0) {
        names.add(ALL_CAPS.get(cap));
      }
    }
    return names;
  }

  private static void mounts(ArrayNode mounts, RootfsExecutor.Step step, boolean insecure) {
    mount(
        mounts,
        "/proc",
        "proc",
        "proc",
        insecure
            ? List.of("nosuid", "noexec", "nodev")
            : List.of("nosuid", "noexec", "nodev", "ro"));
    mount(
        mounts,
        "/dev",
        "tmpfs",
        "tmpfs",
        List.of("nosuid", "nodev", "strictatime", "mode=755", "size=65536k"));
    for (String device : DEVICES) {
      mount(mounts, device, "bind", device, List.of("bind", "nosuid", "noexec"));
    }
    // gid 5 is tty's group: crun never runs where Kiln has one id alone (ExecutorChoice).
    mount(
        mounts,
        "/dev/pts",
        "devpts",
        "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
    mount(
        mounts,
        "/dev/shm",
        "tmpfs",
        "shm",
        List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
    if (step.attached().isPresent()) {
      mount(mounts, "/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777"));
    }
    for (SandboxMount extra : step.mounts()) {
      // nosuid and nodev as bwrap's binds: a cache lives on the host's disk. Only the root may
      // hold setuid binaries.
      if (extra instanceof SandboxMount.Bind bind) {
        mount(
            mounts,
            bind.dest(),
            "bind",
            bind.source().toString(),
            List.of("rbind", bind.readonly() ? "ro" : "rw", "nosuid", "nodev"));
      } else {
        SandboxMount.Tmpfs tmpfs = (SandboxMount.Tmpfs) extra;
        List<String> options = new ArrayList<>(List.of("nosuid", "nodev", "mode=1777"));
        tmpfs.size().ifPresent(size -> options.add("size=" + size));
        mount(mounts, tmpfs.dest(), "tmpfs", "tmpfs", options);
      }
    }
  }

  private static void mount(
      ArrayNode mounts, String destination, String type, String source, List<String> options) {
    ObjectNode mount = mounts.addObject();
    mount.put("destination", destination);
    mount.put("type", type);
    mount.put("source", source);
    strings(mount.putArray("options"), options);
  }

  /**
   * The same calls as the BPF program, for readers of the file and runtimes without the annotation.
   */
  private static void seccomp(ObjectNode seccomp) {
    seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
    seccomp.putArray("architectures").add("SCMP_ARCH_X86_64");
    ObjectNode refused = seccomp.putArray("syscalls").addObject();
    strings(refused.putArray("names"), List.copyOf(SeccompFilter.REFUSED.keySet()));
    refused.put("action", "SCMP_ACT_ERRNO");
    refused.put("errnoRet", 1);
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}

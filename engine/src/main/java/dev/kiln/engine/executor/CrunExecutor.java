package dev.kiln.engine.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.host.UserNamespace;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.HostCommand;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs steps with the OCI runtime crun on the root filesystem the JVM mounts, for builds whose
 * setuid binaries ({@code su}, {@code ping}) must work: no_new_privs follows {@code
 * kiln.security.no-new-privs} and the root is not {@code nosuid}. The sandbox is bwrap's otherwise
 * ({@link OciConfig}); rootful steps also join {@link DeviceCgroup}, since crun's root is not
 * {@code nodev} either. Each step has a bundle under {@code ROOT/crun/bundles}, its state under
 * {@code ROOT/crun/state}; both are the step's alone and removed after it.
 */
public final class CrunExecutor extends RootfsExecutor {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path UNIFIED = Path.of("/sys/fs/cgroup/unified");
  private static final AtomicLong STEPS = new AtomicLong();

  static final String NO_DEVICES_CGROUP =
      "crun needs the cgroup v1 devices controller to keep a root step from opening the host's"
          + " devices, and Kiln cannot use it here";

  private final Path state;
  private final Path bundles;
  private final OciConfig.Host host;
  private final Optional<DeviceCgroup> devices;
  private final boolean maskUnified;

  /** An executor for {@code snapshotter}'s root whose steps run under {@code limits}. */
  public CrunExecutor(Snapshotter snapshotter, StepLimits limits, boolean noNewPrivs)
      throws ExecException {
    super(snapshotter, cachesOf(snapshotter), limits);
    Path crun = snapshotter.snapshotsDir().resolveSibling("crun");
    this.state = crun.resolve("state");
    this.bundles = crun.resolve("bundles");
    try {
      for (Path dir : List.of(crun, state, bundles)) {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      }
      recover(state, bundles);
    } catch (IOException e) {
      throw new ExecException("could not prepare crun's directories: " + e.getMessage(), e);
    }
    UserNamespace namespace = UserNamespace.current();
    this.host = new OciConfig.Host(noNewPrivs, ownCaps());
    this.devices = namespace.rootful() ? DeviceCgroup.open() : Optional.empty();
    if (namespace.rootful() && devices.isEmpty()) {
      limiter.close();
      throw new ExecException(NO_DEVICES_CGROUP, -1);
    }
    this.maskUnified = hybridCgroups();
  }

  /**
   * Why crun cannot run steps here, or nothing when it can: the tools it needs. The devices cgroup
   * is checked when the executor is made.
   */
  public static Optional<String> unavailable() {
    for (String tool : List.of("crun", "setpriv", "unshare")) {
      if (findTool(tool).isEmpty()) {
        return Optional.of(
            tool
                + " is not installed (apt-get install "
                + (tool.equals("crun") ? "crun" : "util-linux")
                + ")");
      }
    }
    return Optional.empty();
  }

  /** crun's version line ("crun version 1.8.1"), for {@code kiln info}. */
  public static Optional<String> version() {
    try {
      Process process = HostCommand.builder(Path.of("/"), List.of("crun", "--version")).start();
      String first;
      try (InputStream in = process.getInputStream()) {
        first =
            new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
      }
      return process.waitFor() == 0 && !first.isBlank()
          ? Optional.of(first.strip())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  @Override
  public String name() {
    return "crun";
  }

  /** Whether no_new_privs is set for steps. */
  public boolean noNewPrivs() {
    return host.noNewPrivs();
  }

  @Override
  public void close() {
    super.close();
    devices.ifPresent(DeviceCgroup::close);
  }

  @Override
  void runSandboxed(Step step, RunContext context) throws ExecException {
    String id = "kiln-" + ProcessHandle.current().pid() + "-" + STEPS.incrementAndGet();
    Path bundle = bundles.resolve(id);
    try {
      Files.createDirectory(
          bundle,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      OciConfig.write(bundle, step, host);
    } catch (IOException e) {
      deleteQuietly(bundle);
      throw new ExecException("could not write the step's OCI bundle: " + e.getMessage(), e);
    }
    try {
      ProcessBuilder builder = HostCommand.builder(snapshotter.mountsDir(), argv(step, bundle, id));
      SandboxProcess.Outcome outcome = start(builder, step, context);
      if (outcome.exitCode() != 0) {
        Optional<String> failure = runtimeError(bundle.resolve("crun.log"));
        if (failure.isPresent()) {
          ExitStatus.runtimeFailed(step.spec().args(), failure.get(), outcome);
        }
      }
      ExitStatus.check(step.spec().args(), outcome, limitReached(step));
    } finally {
      deleteQuietly(bundle);
      deleteQuietly(state.resolve(id));
    }
  }

  /**
   * The host command: crun as pid 1 of a pid namespace of its own, killed with its whole namespace
   * (the step included) when Kiln dies, since crun's container outlives crun; a mount namespace too
   * where cgroup v2 must be hidden from crun; a shell first when something must be done in it.
   */
  private List<String> argv(Step step, Path bundle, String id) {
    List<String> argv = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "unshare"));
    if (maskUnified) {
      argv.addAll(List.of("--mount", "--propagation", "private"));
    }
    argv.addAll(List.of("--pid", "--fork", "--kill-child"));
    StringBuilder prelude = new StringBuilder(step.limits().prelude());
    devices.ifPresent(cgroup -> prelude.append("echo $$ > ").append(cgroup.procs()).append(" && "));
    if (maskUnified) {
      // crun 1.8 refuses every container on a host whose cgroup v2 hierarchy (mounted beside v1's)
      // has controllers, even with its cgroup manager off: it sees an empty one instead.
      prelude.append("mount -t tmpfs -o size=4k kiln-nocgroup2 ").append(UNIFIED).append(" && ");
    }
    if (prelude.length() > 0) {
      argv.addAll(List.of("sh", "-c", prelude + "exec \"$@\"", "sh"));
    }
    argv.addAll(
        List.of(
            "crun",
            "--cgroup-manager=disabled",
            "--root",
            state.toString(),
            "--log=file:" + bundle.resolve("crun.log"),
            "--log-format=json",
            "run",
            "--bundle",
            bundle.toString(),
            id));
    return argv;
  }

  /** crun's own error, when it logged one: the step then never ran or could not be started. */
  private static Optional<String> runtimeError(Path log) {
    try {
      if (!Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      List<String> errors = new ArrayList<>();
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        try {
          JsonNode entry = JSON.readTree(line);
          if (entry != null && "error".equals(entry.path("level").asText())) {
            errors.add(entry.path("msg").asText());
          }
        } catch (IOException e) {
          errors.add(line.strip());
        }
      }
      return errors.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", errors));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Whether cgroup v2 is mounted beside v1 with controllers, which crun 1.8 refuses. */
  static boolean hybridCgroups() {
    try {
      Path controllers = UNIFIED.resolve("cgroup.controllers");
      return Files.isRegularFile(controllers) && !Files.readString(controllers).isBlank();
    } catch (IOException e) {
      return false;
    }
  }

  /** Kiln's permitted capabilities ({@code CapPrm}), as a bit set. */
  private static long ownCaps() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapPrm:")) {
          return Long.parseUnsignedLong(line.substring("CapPrm:".length()).strip(), 16);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Docker's set below.
    }
    return 0xa80425fbL;
  }

  /**
   * Removes what steps of Kiln processes that no longer run left behind (a crash). Never through
   * {@code crun delete}: the pid in such a state is one of a pid namespace that is gone, and may
   * now name an unrelated host process.
   */
  private static void recover(Path state, Path bundles) throws IOException {
    for (Path dir : List.of(state, bundles)) {
      try (var entries = Files.newDirectoryStream(dir, "kiln-*")) {
        for (Path left : entries) {
          String[] parts = left.getFileName().toString().split("-");
          if (parts.length == 3
              && parts[1].chars().allMatch(Character::isDigit)
              && !parts[1].isEmpty()
              && ProcessHandle.of(Long.parseLong(parts[1])).isEmpty()) {
            FileTrees.deleteRecursively(left);
          }
        }
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      // A leftover bundle is removed at the next start; it holds nothing another step reads.
    }
  }
}

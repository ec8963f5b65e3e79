package dev.kiln.engine.executor;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.run.CancelledException;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.HostCommand;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Runs steps with bubblewrap on an overlayfs that the JVM mounts for the step: the rootfs layers
 * are read-only lowerdirs and all writes land in the active layer's upper directory. Only bwrap
 * (and setpriv for a non-root user) is exec'd, since every exec costs milliseconds.
 */
public final class BwrapExecutor implements Executor {
  private static final List<String> REQUIRED_TOOLS = List.of("setpriv");

  private final Snapshotter snapshotter;
  private final CacheMounts caches;

  private final StepLimiter limiter;

  /** An executor without step limits, its cache mounts in {@code cache-mounts}. */
  public BwrapExecutor(Snapshotter snapshotter) {
    this(snapshotter, StepLimits.NONE);
  }

  /** An executor whose cache mounts live in {@code cache-mounts} next to the snapshots. */
  public BwrapExecutor(Snapshotter snapshotter, StepLimits limits) {
    this(
        snapshotter,
        new CacheMounts(snapshotter.snapshotsDir().resolveSibling("cache-mounts")),
        limits);
  }

  public BwrapExecutor(Snapshotter snapshotter, CacheMounts caches) {
    this(snapshotter, caches, StepLimits.NONE);
  }

  private BwrapExecutor(Snapshotter snapshotter, CacheMounts caches, StepLimits limits) {
    this.snapshotter = snapshotter;
    this.caches = caches;
    this.limiter = new StepLimiter(limits);
  }

  @Override
  public void close() {
    limiter.close();
  }

  private Path seccomp;

  /** The seccomp filter's file, {@code ROOT/seccomp/seccomp-HASH.bpf}, written on first use. */
  private synchronized Path seccomp() throws ExecException {
    if (seccomp == null) {
      try {
        seccomp = SeccompFilter.install(snapshotter.snapshotsDir().resolveSibling("seccomp"));
      } catch (IOException e) {
        throw new ExecException("could not write the seccomp filter: " + e.getMessage(), e);
      }
    }
    return seccomp;
  }

  /** Checks the host tools this executor needs; the exception says how to install them. */
  public static void probe() throws ExecException {
    if (findTool("bwrap").isEmpty()) {
      throw new ExecException("bubblewrap is not installed: run apt-get install bubblewrap", -1);
    }
    for (String tool : REQUIRED_TOOLS) {
      if (findTool(tool).isEmpty()) {
        throw new ExecException(tool + " is not installed: run apt-get install util-linux", -1);
      }
    }
  }

  private static Optional<Path> findTool(String name) {
    for (String dir : HostCommand.HOST_ENV.get("PATH").split(":")) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  @Override
  public String name() {
    return "bwrap";
  }

  @Override
  public void run(ExecSpec spec, Snapshot rootfs, ActiveLayer upper, RunContext context)
      throws ExecException {
    execute(spec, rootfs, upper, context, Optional.empty());
  }

  @Override
  public void runAttached(
      ExecSpec spec,
      Snapshot rootfs,
      ActiveLayer upper,
      RunContext context,
      Conversation conversation)
      throws ExecException {
    execute(spec, rootfs, upper, context, Optional.of(conversation));
  }

  private void execute(
      ExecSpec spec,
      Snapshot rootfs,
      ActiveLayer upper,
      RunContext context,
      Optional<Conversation> attached)
      throws ExecException {
    if (spec.network() == NetworkMode.SANDBOX) {
      throw new ExecException("network mode sandbox is not supported yet", -1);
    }
    if (spec.args().isEmpty()) {
      throw new ExecException("no command given", -1);
    }
    context.cancellation().check();
    MountedFs merged;
    try {
      merged = snapshotter.mountOverlay(rootfs, Optional.of(upper));
    } catch (IOException e) {
      throw new ExecException("could not prepare the sandbox: " + e.getMessage(), e);
    }
    try {
      UnixUser user = PasswdLookup.resolve(UserSpec.parse(spec.user()), merged.path());
      runIn(merged.path(), spec, user, context, attached);
    } catch (ExecException | RuntimeException | Error e) {
      cleanUp(merged, rootfs, upper);
      throw e;
    }
    try {
      // Closing records the step's changes with the copying snapshotter: a failure must fail it.
      merged.close();
    } catch (IOException e) {
      throw new ExecException("could not record the step's changes: " + e.getMessage(), e);
    } finally {
      cleanUp(merged, rootfs, upper);
    }
  }

  private void runIn(
      Path merged,
      ExecSpec spec,
      UnixUser user,
      RunContext context,
      Optional<Conversation> attached)
      throws ExecException {
    try {
      MountPointDirs.create(merged);
    } catch (IOException e) {
      throw new ExecException("could not prepare the sandbox: " + e.getMessage(), e);
    }
    // Closing the mounts removes their mount points while the root filesystem is still mounted.
    try (SandboxMounts mounts =
        SandboxMounts.prepare(spec.mounts(), merged, snapshotter, caches, context.cancellation())) {
      List<String> mountArgs = new java.util.ArrayList<>(mounts.bwrapArgs());
      if (attached.isPresent()) {
        // Not recursive: /proc and /dev, mounted before, stay as they are.
        mountArgs.addAll(0, List.of("--remount-ro", "/", "--tmpfs", "/tmp"));
      }
      runProcess(merged, spec, user, context, mountArgs, attached);
    }
  }

  private void runProcess(
      Path merged,
      ExecSpec spec,
      UnixUser user,
      RunContext context,
      List<String> mountArgs,
      Optional<Conversation> attached)
      throws ExecException {
    try (StepLimiter.Applied limits = limiter.apply()) {
      List<String> argv =
          SandboxCommand.argv(
              spec, user, merged, mountArgs, Optional.of(seccomp()), limits.prelude());
      ProcessBuilder builder = HostCommand.builder(snapshotter.mountsDir(), argv);
      builder.environment().clear();
      builder.environment().putAll(SandboxCommand.hostEnvironment(spec));
      SandboxProcess.Outcome outcome =
          attached.isPresent()
              ? SandboxProcess.runAttached(builder, context, attached.get())
              : SandboxProcess.run(builder, context);
      if (outcome.cancelled()) {
        throw new CancelledException();
      }
      ExitStatus.check(spec.args(), outcome, limits.cgroup().flatMap(StepCgroup::limitReached));
    }
  }

  // Best effort: a failure here must not hide the step's own outcome. A mount left behind is
  // removed by Snapshotter.recover(); a leftover empty /proc or /dev only adds a directory.
  // Closing twice is harmless.
  private static void cleanUp(MountedFs merged, Snapshot rootfs, ActiveLayer upper) {
    try {
      merged.close();
    } catch (IOException e) {
      // See above.
    }
    try {
      MountPointDirs.removeCreated(rootfs, upper.upper());
    } catch (IOException e) {
      // See above.
    }
  }
}

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
 * The part every sandbox shares: the root filesystem the JVM mounts for a step (the rootfs layers
 * read-only, all writes landing in the active layer's upper directory), its extra mounts and its
 * limits; a subclass only starts the sandbox on it. Both executors thus give the same layers.
 */
abstract sealed class RootfsExecutor implements Executor permits BwrapExecutor, CrunExecutor {
  final Snapshotter snapshotter;
  final StepLimiter limiter;
  private final CacheMounts caches;

  RootfsExecutor(Snapshotter snapshotter, CacheMounts caches, StepLimits limits) {
    this.snapshotter = snapshotter;
    this.caches = caches;
    this.limiter = new StepLimiter(limits);
  }

  /** The cache mounts' directory next to the snapshots. */
  static CacheMounts cachesOf(Snapshotter snapshotter) {
    return new CacheMounts(snapshotter.snapshotsDir().resolveSibling("cache-mounts"));
  }

  /** One step, ready to start: its mounted root, user, mounts and the limits it runs under. */
  record Step(
      Path rootfs,
      ExecSpec spec,
      UnixUser user,
      List<SandboxMount> mounts,
      Optional<Conversation> attached,
      StepLimiter.Applied limits) {}

  /**
   * Runs {@code step} in the sandbox to its end; throws {@link ExecException} unless it exited 0,
   * naming the limit it reached if it reached one.
   */
  abstract void runSandboxed(Step step, RunContext context) throws ExecException;

  @Override
  public void close() {
    limiter.close();
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
            SandboxMounts.prepare(
                spec.mounts(), merged, snapshotter, caches, context.cancellation());
        StepLimiter.Applied limits = limiter.apply()) {
      runSandboxed(new Step(merged, spec, user, mounts.mounts(), attached, limits), context);
    }
  }

  /**
   * Runs {@code builder} (its environment already set) as the step's process, attached or not;
   * throws {@link CancelledException} when the run was cancelled.
   */
  static SandboxProcess.Outcome start(ProcessBuilder builder, Step step, RunContext context)
      throws ExecException {
    SandboxProcess.Outcome outcome =
        step.attached().isPresent()
            ? SandboxProcess.runAttached(builder, context, step.attached().get())
            : SandboxProcess.run(builder, context);
    if (outcome.cancelled()) {
      throw new CancelledException();
    }
    return outcome;
  }

  /** The step's limit that {@code step} reached, if it reached one. */
  static Optional<String> limitReached(Step step) {
    return step.limits().cgroup().flatMap(StepCgroup::limitReached);
  }

  static Optional<Path> findTool(String name) {
    for (String dir : HostCommand.HOST_ENV.get("PATH").split(":")) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
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

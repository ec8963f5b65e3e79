package dev.kiln.engine;

import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.cluster.ClusterSettings;
import dev.kiln.engine.executor.SandboxSettings;
import dev.kiln.engine.executor.StepLimits;
import dev.kiln.engine.job.JobHistory;
import dev.kiln.engine.snapshot.SnapshotterMode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How to start an embedded engine: its state directory, how many steps may run at once (0: two per
 * core), the host directories that {@code local://NAME} sources read, and the snapshotter (empty:
 * overlay where the host allows it, else copy), the automatic cache collection (none when empty),
 * how many steps of one build may run at once (0: as many as the engine runs), and how long an
 * ended build job is kept before its events are erased; step limits and the sandbox (empty: from
 * the configuration), and the cluster it is a node of (none: a single node).
 */
public record EngineConfig(
    Path root,
    int execSlots,
    Map<String, Path> locals,
    Optional<SnapshotterMode> snapshotter,
    Optional<GcPolicy> gc,
    int buildSlots,
    java.time.Duration keepJobs,
    Optional<StepLimits> stepLimits,
    Optional<SandboxSettings> sandbox,
    Optional<ClusterSettings> cluster) {
  public EngineConfig {
    if (execSlots < 0 || buildSlots < 0) {
      throw new IllegalArgumentException(
          "exec slots must be >= 0, got " + execSlots + " (per build " + buildSlots + ")");
    }
    if (keepJobs.isNegative()) {
      throw new IllegalArgumentException("jobs cannot be kept for " + keepJobs);
    }
    locals = Map.copyOf(locals);
  }

  public EngineConfig(Path root, int execSlots, Map<String, Path> locals) {
    this(
        root,
        execSlots,
        locals,
        Optional.empty(),
        Optional.empty(),
        0,
        JobHistory.DEFAULT_KEEP,
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  public EngineConfig(
      Path root, int execSlots, Map<String, Path> locals, Optional<SnapshotterMode> snapshotter) {
    this(
        root,
        execSlots,
        locals,
        snapshotter,
        Optional.empty(),
        0,
        JobHistory.DEFAULT_KEEP,
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  /** The same, collecting cache garbage under {@code policy} after builds (none when empty). */
  public EngineConfig withGc(Optional<GcPolicy> policy) {
    return new EngineConfig(
        root,
        execSlots,
        locals,
        snapshotter,
        policy,
        buildSlots,
        keepJobs,
        stepLimits,
        sandbox,
        cluster);
  }

  /** The same, running at most {@code slots} steps of one build at once (0: no own limit). */
  public EngineConfig withBuildSlots(int slots) {
    return new EngineConfig(
        root, execSlots, locals, snapshotter, gc, slots, keepJobs, stepLimits, sandbox, cluster);
  }

  /** The same, erasing ended build jobs once they have been over for {@code keep}. */
  public EngineConfig withKeepJobs(java.time.Duration keep) {
    return new EngineConfig(
        root, execSlots, locals, snapshotter, gc, buildSlots, keep, stepLimits, sandbox, cluster);
  }

  public static EngineConfig at(Path root) {
    return new EngineConfig(root, 0, Map.of());
  }

  public EngineConfig withSnapshotter(SnapshotterMode mode) {
    return new EngineConfig(
        root,
        execSlots,
        locals,
        Optional.of(mode),
        gc,
        buildSlots,
        keepJobs,
        stepLimits,
        sandbox,
        cluster);
  }

  /** The same, its steps limited to {@code limits} rather than {@code kiln.step-limits}. */
  public EngineConfig withStepLimits(StepLimits limits) {
    return new EngineConfig(
        root,
        execSlots,
        locals,
        snapshotter,
        gc,
        buildSlots,
        keepJobs,
        Optional.of(limits),
        sandbox,
        cluster);
  }

  /** The same, its steps run as {@code settings} say rather than {@code kiln.executor}. */
  public EngineConfig withSandbox(SandboxSettings settings) {
    return new EngineConfig(
        root,
        execSlots,
        locals,
        snapshotter,
        gc,
        buildSlots,
        keepJobs,
        stepLimits,
        Optional.of(settings),
        cluster);
  }

  /** The same, the engine a node of the cluster {@code settings} describe. */
  public EngineConfig withCluster(ClusterSettings settings) {
    return new EngineConfig(
        root,
        execSlots,
        locals,
        snapshotter,
        gc,
        buildSlots,
        keepJobs,
        stepLimits,
        sandbox,
        Optional.of(settings));
  }

  public int effectiveSlots() {
    return execSlots > 0 ? execSlots : Runtime.getRuntime().availableProcessors() * 2;
  }

  /** Steps of one build that may run at once: never more than the engine runs. */
  public int effectiveBuildSlots() {
    return buildSlots > 0 ? Math.min(buildSlots, effectiveSlots()) : effectiveSlots();
  }
}

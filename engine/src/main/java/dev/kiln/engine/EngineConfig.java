package dev.kiln.engine;

import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.snapshot.SnapshotterMode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How to start an embedded engine: its state directory, how many steps may run at once (0: two per
 * core), the host directories that {@code local://NAME} sources read, and the snapshotter (empty:
 * overlay where the host allows it, else copy), the automatic cache collection (none when empty),
 * and how many steps of one build may run at once (0: as many as the engine runs).
 */
public record EngineConfig(
    Path root,
    int execSlots,
    Map<String, Path> locals,
    Optional<SnapshotterMode> snapshotter,
    Optional<GcPolicy> gc,
    int buildSlots) {
  public EngineConfig {
    if (execSlots < 0 || buildSlots < 0) {
      throw new IllegalArgumentException(
          "exec slots must be >= 0, got " + execSlots + " (per build " + buildSlots + ")");
    }
    locals = Map.copyOf(locals);
  }

  public EngineConfig(Path root, int execSlots, Map<String, Path> locals) {
    this(root, execSlots, locals, Optional.empty(), Optional.empty(), 0);
  }

  public EngineConfig(
      Path root, int execSlots, Map<String, Path> locals, Optional<SnapshotterMode> snapshotter) {
    this(root, execSlots, locals, snapshotter, Optional.empty(), 0);
  }

  /** The same, collecting cache garbage under {@code policy} after builds (none when empty). */
  public EngineConfig withGc(Optional<GcPolicy> policy) {
    return new EngineConfig(root, execSlots, locals, snapshotter, policy, buildSlots);
  }

  /** The same, running at most {@code slots} steps of one build at once (0: no own limit). */
  public EngineConfig withBuildSlots(int slots) {
    return new EngineConfig(root, execSlots, locals, snapshotter, gc, slots);
  }

  public static EngineConfig at(Path root) {
    return new EngineConfig(root, 0, Map.of());
  }

  public EngineConfig withSnapshotter(SnapshotterMode mode) {
    return new EngineConfig(root, execSlots, locals, Optional.of(mode), gc, buildSlots);
  }

  public int effectiveSlots() {
    return execSlots > 0 ? execSlots : Runtime.getRuntime().availableProcessors() * 2;
  }

  /** Steps of one build that may run at once: never more than the engine runs. */
  public int effectiveBuildSlots() {
    return buildSlots > 0 ? Math.min(buildSlots, effectiveSlots()) : effectiveSlots();
  }
}

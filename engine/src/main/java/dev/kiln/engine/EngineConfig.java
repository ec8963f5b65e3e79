package dev.kiln.engine;

import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.snapshot.SnapshotterMode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How to start an embedded engine: its state directory, how many steps may run at once (0: two per
 * core), the host directories that {@code local://NAME} sources read, and the snapshotter (empty:
 * overlay where the host allows it, else copy), and the automatic cache collection (none when
 * empty).
 */
public record EngineConfig(
    Path root,
    int execSlots,
    Map<String, Path> locals,
    Optional<SnapshotterMode> snapshotter,
    Optional<GcPolicy> gc) {
  public EngineConfig {
    if (execSlots < 0) {
      throw new IllegalArgumentException("exec slots must be >= 0, got " + execSlots);
    }
    locals = Map.copyOf(locals);
  }

  public EngineConfig(Path root, int execSlots, Map<String, Path> locals) {
    this(root, execSlots, locals, Optional.empty(), Optional.empty());
  }

  public EngineConfig(
      Path root, int execSlots, Map<String, Path> locals, Optional<SnapshotterMode> snapshotter) {
    this(root, execSlots, locals, snapshotter, Optional.empty());
  }

  /** The same, collecting cache garbage under {@code policy} after builds (none when empty). */
  public EngineConfig withGc(Optional<GcPolicy> policy) {
    return new EngineConfig(root, execSlots, locals, snapshotter, policy);
  }

  public static EngineConfig at(Path root) {
    return new EngineConfig(root, 0, Map.of());
  }

  public EngineConfig withSnapshotter(SnapshotterMode mode) {
    return new EngineConfig(root, execSlots, locals, Optional.of(mode), gc);
  }

  public int effectiveSlots() {
    return execSlots > 0 ? execSlots : Runtime.getRuntime().availableProcessors() * 2;
  }
}

package dev.kiln.engine;

import java.nio.file.Path;
import java.util.Map;

/**
 * How to start an embedded engine: its state directory, how many steps may run at once (0: two per
 * core), and the host directories that {@code local://NAME} sources read.
 */
public record EngineConfig(Path root, int execSlots, Map<String, Path> locals) {
  public EngineConfig {
    if (execSlots < 0) {
      throw new IllegalArgumentException("exec slots must be >= 0, got " + execSlots);
    }
    locals = Map.copyOf(locals);
  }

  public static EngineConfig at(Path root) {
    return new EngineConfig(root, 0, Map.of());
  }

  public int effectiveSlots() {
    return execSlots > 0 ? execSlots : Runtime.getRuntime().availableProcessors() * 2;
  }
}

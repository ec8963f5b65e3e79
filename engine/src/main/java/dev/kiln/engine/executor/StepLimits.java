package dev.kiln.engine.executor;

import com.typesafe.config.Config;

/**
 * What one step may use ({@code kiln.step-limits}): processes and memory (through a cgroup where
 * the host lets Kiln make one, else through rlimits) and open files (an rlimit). Zero is no limit.
 */
public record StepLimits(long pids, long memoryBytes, long openFiles) {
  /** No limits at all, for tests of other things. */
  public static final StepLimits NONE = new StepLimits(0, 0, 0);

  public StepLimits {
    if (pids < 0 || memoryBytes < 0 || openFiles < 0) {
      throw new IllegalArgumentException(
          "step limits cannot be negative: pids "
              + pids
              + ", memory "
              + memoryBytes
              + ", open files "
              + openFiles);
    }
  }

  /** The limits under {@code kiln.step-limits} in {@code config}. */
  public static StepLimits from(Config config) {
    Config limits = config.getConfig("kiln.step-limits");
    return new StepLimits(
        limits.getLong("pids"), limits.getBytes("memory"), limits.getLong("open-files"));
  }

  /** Whether anything is limited. */
  public boolean any() {
    return pids > 0 || memoryBytes > 0 || openFiles > 0;
  }
}

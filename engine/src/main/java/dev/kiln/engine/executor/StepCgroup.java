package dev.kiln.engine.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One step's cgroups (one per v1 hierarchy, or one v2 cgroup): the step's first process joins them
 * before it starts bwrap, so that all it forks is counted; closing them kills what is left and
 * removes them.
 */
final class StepCgroup implements AutoCloseable {
  /** How often a cgroup whose last processes are still dying is tried again. */
  private static final int REMOVE_ATTEMPTS = 200;

  private final List<Path> dirs;
  private final StepLimits limits;

  StepCgroup(List<Path> dirs, StepLimits limits) {
    this.dirs = List.copyOf(dirs);
    this.limits = limits;
  }

  /** The {@code cgroup.procs} files the step's process writes its pid into. */
  List<Path> procsFiles() {
    return dirs.stream().map(dir -> dir.resolve("cgroup.procs")).toList();
  }

  /** Why the step failed, when it hit one of its limits. */
  Optional<String> limitReached() {
    for (Path dir : dirs) {
      if (count(dir.resolve("pids.events"), "max") > 0) {
        return Optional.of(
            "the step reached its limit of "
                + limits.pids()
                + " processes (kiln.step-limits.pids, KILN_STEP_PIDS)");
      }
      if (count(dir.resolve("memory.events"), "oom_kill") > 0
          || count(dir.resolve("memory.oom_control"), "oom_kill") > 0) {
        return Optional.of(
            "the step ran out of memory: its limit is "
                + (limits.memoryBytes() >> 20)
                + " MiB"
                + " (kiln.step-limits.memory, KILN_STEP_MEMORY)");
      }
    }
    return Optional.empty();
  }

  /** The number after {@code key} in a flat-keyed cgroup file, 0 when absent. */
  private static long count(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        String[] fields = line.split(" ");
        if (fields.length == 2 && fields[0].equals(key)) {
          return Long.parseLong(fields[1]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  @Override
  public void close() {
    for (Path dir : dirs) {
      for (int attempt = 0; attempt < REMOVE_ATTEMPTS && Files.exists(dir); attempt++) {
        killAll(dir);
        StepCgroups.removeQuietly(dir);
        if (Files.exists(dir)) {
          // The kernel frees a killed process's cgroup membership shortly after the signal.
          sleepBriefly();
        }
      }
    }
  }

  private static void killAll(Path dir) {
    try {
      for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
        ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
      }
    } catch (IOException | NumberFormatException e) {
      // Gone already.
    }
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.host.UserNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies {@link StepLimits} to each step: the shell lines that run before bwrap (joining the
 * step's cgroup, setting rlimits) and the cgroup to read and remove afterwards. Processes and
 * memory use a cgroup where Kiln can make one, else RLIMIT_NPROC and RLIMIT_AS.
 */
public final class StepLimiter implements AutoCloseable {
  private final StepLimits limits;
  private final Optional<StepCgroups> cgroups;
  private final long openFiles;

  StepLimiter(StepLimits limits) {
    this.limits = limits;
    this.cgroups =
        limits.pids() > 0 || limits.memoryBytes() > 0 ? StepCgroups.open(limits) : Optional.empty();
    this.openFiles = limits.openFiles() > 0 ? allowedOpenFiles(limits.openFiles()) : 0;
  }

  /** What one step runs under; close it after the step. */
  record Applied(String prelude, Optional<StepCgroup> cgroup) implements AutoCloseable {
    @Override
    public void close() {
      cgroup.ifPresent(StepCgroup::close);
    }
  }

  /** The limits for one step: its cgroup made, and the shell lines that apply them. */
  Applied apply() throws ExecException {
    StringBuilder prelude = new StringBuilder();
    if (openFiles > 0) {
      prelude.append("ulimit -n ").append(openFiles).append(" && ");
    }
    Optional<StepCgroup> cgroup = Optional.empty();
    if (cgroups.isPresent()) {
      try {
        cgroup = Optional.of(cgroups.get().create(limits));
      } catch (IOException e) {
        throw new ExecException("could not make the step's cgroup: " + e.getMessage(), e);
      }
      for (Path procs : cgroup.get().procsFiles()) {
        prelude.append("echo $$ > ").append(procs).append(" && ");
      }
    } else if (limits.pids() > 0 || limits.memoryBytes() > 0) {
      // prlimit, as shells name these limits differently (dash's ulimit -p is bash's -u).
      prelude.append("prlimit --pid $$");
      if (limits.pids() > 0) {
        prelude.append(" --nproc=").append(limits.pids()).append(':').append(limits.pids());
      }
      if (limits.memoryBytes() > 0) {
        prelude
            .append(" --as=")
            .append(limits.memoryBytes())
            .append(':')
            .append(limits.memoryBytes());
      }
      prelude.append(" && ");
    }
    return new Applied(prelude.toString(), cgroup);
  }

  /** How steps would be limited on this host under {@code limits}, for {@code kiln info}. */
  public static String describe(StepLimits limits) {
    try (StepLimiter limiter = new StepLimiter(limits)) {
      return limiter.describe();
    }
  }

  private String describe() {
    List<String> parts = new ArrayList<>();
    parts.add(limits.pids() > 0 ? limits.pids() + " processes" : "processes unlimited");
    parts.add(
        limits.memoryBytes() > 0 ? (limits.memoryBytes() >> 20) + " MiB" : "memory unlimited");
    parts.add(openFiles > 0 ? openFiles + " open files" : "open files unlimited");
    if (limits.pids() == 0 && limits.memoryBytes() == 0) {
      return String.join(", ", parts);
    }
    String how = cgroups.map(StepCgroups::describe).orElse("rlimits (no cgroup Kiln may make)");
    return String.join(", ", parts) + "; through " + how;
  }

  @Override
  public void close() {
    cgroups.ifPresent(StepCgroups::close);
  }

  /**
   * {@code wanted}, or this process's own hard limit when it is lower and Kiln may not raise it:
   * raising a hard limit takes CAP_SYS_RESOURCE in the host's namespace, which rootless Kiln never
   * has and root in a container may lack.
   */
  private static long allowedOpenFiles(long wanted) {
    try {
      List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
      if (UserNamespace.current().rootful() && hasSysResource(status)) {
        return wanted;
      }
      for (String line :
          Files.readAllLines(Path.of("/proc/self/limits"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("Max open files")) {
          String hard = line.substring("Max open files".length()).trim().split("\\s+")[1];
          return hard.equals("unlimited") ? wanted : Math.min(wanted, Long.parseLong(hard));
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }

  /** Whether CapEff in {@code /proc/self/status} holds CAP_SYS_RESOURCE (24). */
  private static boolean hasSysResource(List<String> status) {
    return status.stream()
        .filter(line -> line.startsWith("CapEff:"))
        .map(line -> Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16))
        .anyMatch(caps -> (caps & (1L << 24)) != 0);
  }
}

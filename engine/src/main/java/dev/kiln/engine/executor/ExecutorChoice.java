package dev.kiln.engine.executor;

import dev.kiln.engine.snapshot.Snapshotter;
import java.util.Optional;

/**
 * Picks the executor for {@link SandboxSettings}: with no_new_privs on, bwrap (it always sets it
 * and is the quicker start here); with it off, crun, which lets setuid binaries work, falling back
 * to bwrap with a note saying why when {@code auto} and crun cannot run here.
 */
public final class ExecutorChoice {
  /** The executor made, and why it is not the one asked for or what it cannot do, if anything. */
  public record Chosen(Executor executor, Optional<String> note) {
    /** What {@code kiln info} says: the executor, and why it is not the one wanted. */
    public record Description(String executor, Optional<String> note) {}
  }

  private ExecutorChoice() {}

  /** Makes the executor; fails when the one forced cannot run here. */
  public static Chosen make(Snapshotter snapshotter, StepLimits limits, SandboxSettings settings)
      throws ExecException {
    SandboxSettings.Kind kind = settings.executor();
    if (kind == SandboxSettings.Kind.BWRAP
        || (kind == SandboxSettings.Kind.AUTO && settings.noNewPrivs())) {
      // Asked for by name, or no_new_privs wanted: nothing to say.
      return new Chosen(new BwrapExecutor(snapshotter, limits), Optional.empty());
    }
    Optional<String> missing = CrunExecutor.unavailable();
    try {
      if (missing.isPresent()) {
        throw new ExecException(missing.get(), -1);
      }
      return new Chosen(
          new CrunExecutor(snapshotter, limits, settings.noNewPrivs()), Optional.empty());
    } catch (ExecException e) {
      if (kind == SandboxSettings.Kind.CRUN) {
        throw new ExecException("kiln.executor is crun, but " + e.getMessage(), -1);
      }
      return new Chosen(
          new BwrapExecutor(snapshotter, limits),
          Optional.of(
              "steps run with bwrap, which sets no_new_privs (setuid binaries such as su and ping"
                  + " gain nothing): crun cannot run here: "
                  + e.getMessage()));
    }
  }

  /**
   * What {@link #make} would choose here under {@code settings}, for {@code kiln info}, without
   * making anything: the executor line, and a note when crun was wanted but cannot run.
   */
  public static Chosen.Description describe(SandboxSettings settings) {
    SandboxSettings.Kind kind = settings.executor();
    boolean crunWanted =
        kind == SandboxSettings.Kind.CRUN
            || (kind == SandboxSettings.Kind.AUTO && !settings.noNewPrivs());
    Optional<String> missing = crunWanted ? crunMissing() : Optional.empty();
    if (crunWanted && missing.isEmpty()) {
      String version = CrunExecutor.version().orElse("crun");
      return new Chosen.Description(
          "crun ("
              + version
              + (settings.noNewPrivs()
                  ? "; no_new_privs on"
                  : "; no_new_privs off: setuid binaries work")
              + (dev.kiln.engine.host.UserNamespace.current().rootful() ? "; devices cgroup" : "")
              + (CrunExecutor.hybridCgroups() ? "; each step hides cgroup v2 from crun" : "")
              + ")",
          Optional.empty());
    }
    String bwrap = "bwrap (no_new_privs on: setuid binaries gain nothing)";
    return new Chosen.Description(
        bwrap,
        missing.map(
            why ->
                (kind == SandboxSettings.Kind.CRUN
                        ? "kiln.executor is crun, but no engine starts: "
                        : "no_new_privs is off, but crun cannot run here: ")
                    + why));
  }

  private static Optional<String> crunMissing() {
    Optional<String> missing = CrunExecutor.unavailable();
    if (missing.isEmpty()
        && dev.kiln.engine.host.UserNamespace.current().rootful()
        && DeviceCgroup.parent().isEmpty()) {
      return Optional.of(CrunExecutor.NO_DEVICES_CGROUP);
    }
    return missing;
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.host.UserNamespace;
import dev.kiln.engine.snapshot.Snapshotter;
import java.util.Optional;

/**
 * Picks the executor for {@link SandboxSettings}: with no_new_privs off (the default), crun, which
 * lets setuid binaries work; bwrap (it always sets no_new_privs, and starts steps sooner) when
 * no_new_privs is on, when rootless Kiln has the user's id alone (a setuid binary has no other user
 * to become, and crun cannot give a USER step its namespace there), or, with a note saying why,
 * when {@code auto} finds that crun cannot run here.
 */
public final class ExecutorChoice {
  /** The executor made, and why it is not the one asked for, if anything. */
  public record Chosen(Executor executor, Optional<String> note) {}

  /** What {@code kiln info} says: the executor, and why it is not the one wanted. */
  public record Description(String executor, Optional<String> note) {}

  private static final String SINGLE_ID =
      "rootless with the user's id alone, crun cannot give a USER step a user namespace of its"
          + " own (setgroups is denied): add subordinate ids";

  private ExecutorChoice() {}

  /** Makes the executor; fails when the one forced cannot run here. */
  public static Chosen make(Snapshotter snapshotter, StepLimits limits, SandboxSettings settings)
      throws ExecException {
    if (!wantsCrun(settings)) {
      return new Chosen(new BwrapExecutor(snapshotter, limits), Optional.empty());
    }
    try {
      Optional<String> refusal = refusal(false);
      if (refusal.isPresent()) {
        throw new ExecException(refusal.get(), -1);
      }
      return new Chosen(
          new CrunExecutor(snapshotter, limits, settings.noNewPrivs()), Optional.empty());
    } catch (ExecException e) {
      if (settings.executor() == SandboxSettings.Kind.CRUN) {
        throw new ExecException("kiln.executor is crun, but " + e.getMessage(), -1);
      }
      return new Chosen(
          new BwrapExecutor(snapshotter, limits), Optional.of(fallback(e.getMessage())));
    }
  }

  /**
   * What {@link #make} would choose here under {@code settings}, for {@code kiln info}, without
   * making anything: the executor line, and a note when crun was wanted but cannot run.
   */
  public static Description describe(SandboxSettings settings) {
    Optional<String> refusal = wantsCrun(settings) ? refusal(true) : Optional.empty();
    if (wantsCrun(settings) && refusal.isEmpty()) {
      return new Description(
          "crun ("
              + CrunExecutor.version().orElse("crun")
              + (settings.noNewPrivs()
                  ? "; no_new_privs on"
                  : "; no_new_privs off: setuid binaries work")
              + (UserNamespace.current().rootful() ? "; devices cgroup" : "")
              + (CrunExecutor.hybridCgroups() ? "; each step hides cgroup v2 from crun" : "")
              + ")",
          Optional.empty());
    }
    return new Description(
        "bwrap (no_new_privs on: setuid binaries gain nothing)",
        refusal.map(
            why ->
                settings.executor() == SandboxSettings.Kind.CRUN
                    ? "kiln.executor is crun, but no engine starts: " + why
                    : fallback(why)));
  }

  /** Whether crun is wanted: asked for by name, or {@code auto} with no_new_privs off. */
  private static boolean wantsCrun(SandboxSettings settings) {
    return switch (settings.executor()) {
      case CRUN -> true;
      case BWRAP -> false;
      case AUTO -> !settings.noNewPrivs() && !UserNamespace.current().singleId();
    };
  }

  /** Why crun cannot run here; the devices cgroup is checked only for a description. */
  private static Optional<String> refusal(boolean devicesToo) {
    if (UserNamespace.current().singleId()) {
      return Optional.of(SINGLE_ID);
    }
    Optional<String> missing = CrunExecutor.unavailable();
    if (missing.isEmpty()
        && devicesToo
        && UserNamespace.current().rootful()
        && DeviceCgroup.parent().isEmpty()) {
      return Optional.of(CrunExecutor.NO_DEVICES_CGROUP);
    }
    return missing;
  }

  private static String fallback(String why) {
    return "steps run with bwrap, which sets no_new_privs (setuid binaries such as su and ping"
        + " gain nothing): crun cannot run here: "
        + why;
  }
}

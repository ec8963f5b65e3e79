package dev.kiln.engine.executor;

import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.HostCommand;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs steps with bubblewrap on the root filesystem the JVM mounts. Only bwrap (and setpriv for a
 * non-root user) is exec'd, since every exec costs milliseconds. bwrap always sets no_new_privs and
 * mounts the root {@code nosuid}: setuid binaries of an image gain nothing under it.
 */
public final class BwrapExecutor extends RootfsExecutor {
  private static final List<String> REQUIRED_TOOLS = List.of("setpriv");

  /** An executor without step limits, its cache mounts in {@code cache-mounts}. */
  public BwrapExecutor(Snapshotter snapshotter) {
    this(snapshotter, StepLimits.NONE);
  }

  /** An executor whose cache mounts live in {@code cache-mounts} next to the snapshots. */
  public BwrapExecutor(Snapshotter snapshotter, StepLimits limits) {
    this(snapshotter, cachesOf(snapshotter), limits);
  }

  public BwrapExecutor(Snapshotter snapshotter, CacheMounts caches) {
    this(snapshotter, caches, StepLimits.NONE);
  }

  private BwrapExecutor(Snapshotter snapshotter, CacheMounts caches, StepLimits limits) {
    super(snapshotter, caches, limits);
  }

  private Path seccomp;

  /** The seccomp filter's file, {@code ROOT/seccomp/seccomp-HASH.bpf}, written on first use. */
  private synchronized Path seccomp() throws ExecException {
    if (seccomp == null) {
      try {
        seccomp = SeccompFilter.install(snapshotter.snapshotsDir().resolveSibling("seccomp"));
      } catch (IOException e) {
        throw new ExecException("could not write the seccomp filter: " + e.getMessage(), e);
      }
    }
    return seccomp;
  }

  /** Checks the host tools this executor needs; the exception says how to install them. */
  public static void probe() throws ExecException {
    if (findTool("bwrap").isEmpty()) {
      throw new ExecException("bubblewrap is not installed: run apt-get install bubblewrap", -1);
    }
    for (String tool : REQUIRED_TOOLS) {
      if (findTool(tool).isEmpty()) {
        throw new ExecException(tool + " is not installed: run apt-get install util-linux", -1);
      }
    }
  }

  @Override
  public String name() {
    return "bwrap";
  }

  @Override
  void runSandboxed(Step step, RunContext context) throws ExecException {
    List<String> mountArgs = new ArrayList<>();
    if (step.attached().isPresent()) {
      // Not recursive: /proc and /dev, mounted before, stay as they are.
      mountArgs.addAll(List.of("--remount-ro", "/", "--tmpfs", "/tmp"));
    }
    mountArgs.addAll(SandboxMount.bwrapArgs(step.mounts()));
    List<String> argv =
        SandboxCommand.argv(
            step.spec(),
            step.user(),
            step.rootfs(),
            mountArgs,
            Optional.of(seccomp()),
            step.limits().prelude());
    ProcessBuilder builder = HostCommand.builder(snapshotter.mountsDir(), argv);
    builder.environment().clear();
    builder.environment().putAll(SandboxCommand.hostEnvironment(step.spec()));
    SandboxProcess.Outcome outcome = start(builder, step, context);
    ExitStatus.check(step.spec().args(), outcome, limitReached(step));
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Snapshot;

/** Runs a process isolated in {@code rootfs} with writes going to {@code upper}. Blocking. */
public interface Executor {
  /** The name shown to users ("bwrap"). */
  String name();

  /**
   * Runs {@code spec}; returns normally on exit code 0 and throws {@link ExecException} otherwise.
   * Output lines go to the context's log sink; cancellation kills the whole process tree.
   */
  void run(ExecSpec spec, Snapshot rootfs, ActiveLayer upper, RunContext context)
      throws ExecException;
}

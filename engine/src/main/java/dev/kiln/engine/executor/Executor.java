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

  /**
   * Runs {@code spec} as {@link #run} does, with a read-only root filesystem and a tmpfs {@code
   * /tmp}, its standard input and output given to {@code conversation} (on another thread) and its
   * standard error to the log: a gateway frontend. Returns once both the process and the
   * conversation ended; a failed conversation fails the run.
   */
  void runAttached(
      ExecSpec spec,
      Snapshot rootfs,
      ActiveLayer upper,
      RunContext context,
      Conversation conversation)
      throws ExecException;

  /** Releases what the executor holds on the host (its steps' cgroups); it runs nothing after. */
  default void close() {}

  /** A program's conversation with Kiln over its standard output and input. */
  @FunctionalInterface
  interface Conversation {
    /** Talks until done; {@code fromProgram} is its stdout, {@code toProgram} its stdin. */
    void talk(java.io.InputStream fromProgram, java.io.OutputStream toProgram) throws Exception;
  }
}

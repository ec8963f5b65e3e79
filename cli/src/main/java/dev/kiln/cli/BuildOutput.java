package dev.kiln.cli;

import java.io.PrintStream;

/**
 * Where a build's messages and progress go: the terminal of an embedded build, or the event stream
 * a daemon sends its client, which shows them the same way.
 */
interface BuildOutput {
  /** The stream for messages (warnings, exports, errors), one per line. */
  PrintStream messages();

  /** The progress display for {@code --progress MODE}. */
  ProgressDisplay display(String mode);

  /** Told, once the build runs, how to cancel it (a daemon does when its client goes away). */
  default void building(Runnable cancel) {}

  /** Told what the build produced ({@code --metadata-file}'s JSON) once it has succeeded. */
  default void metadata(com.fasterxml.jackson.databind.JsonNode metadata) {}

  /**
   * Told once the build's outputs are written, before its job ends: a daemon keeps them for its
   * client then, so that a crash never ends a job whose outputs its client cannot fetch.
   */
  default void written() {}

  /** Messages and progress on {@code err}, as an embedded build shows them. */
  static BuildOutput terminal(PrintStream err) {
    return new BuildOutput() {
      @Override
      public PrintStream messages() {
        return err;
      }

      @Override
      public ProgressDisplay display(String mode) {
        return ProgressDisplay.of(mode, err);
      }
    };
  }
}

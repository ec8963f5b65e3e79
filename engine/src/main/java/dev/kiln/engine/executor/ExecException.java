package dev.kiln.engine.executor;

import java.util.List;

/**
 * A step that did not complete: a non-zero exit, a command missing from the root filesystem, or a
 * sandbox that could not be set up. The message is what a user should read.
 */
public final class ExecException extends Exception {
  private final int exitCode;
  private final List<String> lastLines;

  public ExecException(String message, int exitCode) {
    this(message, exitCode, List.of());
  }

  /** A failed process with the last lines it printed, for an error report. */
  public ExecException(String message, int exitCode, List<String> lastLines) {
    super(message);
    this.exitCode = exitCode;
    this.lastLines = List.copyOf(lastLines);
  }

  public ExecException(String message, Throwable cause) {
    super(message, cause);
    this.exitCode = -1;
    this.lastLines = List.of();
  }

  /** The last output lines of the process (at most 20), oldest first; empty if it never ran. */
  public List<String> lastLines() {
    return lastLines;
  }

  /** The process's exit code, or -1 when it never ran. */
  public int exitCode() {
    return exitCode;
  }
}

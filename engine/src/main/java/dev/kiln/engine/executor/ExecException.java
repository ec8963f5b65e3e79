package dev.kiln.engine.executor;

/**
 * A step that did not complete: a non-zero exit, a command missing from the root filesystem, or a
 * sandbox that could not be set up. The message is what a user should read.
 */
public final class ExecException extends Exception {
  private final int exitCode;

  public ExecException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public ExecException(String message, Throwable cause) {
    super(message, cause);
    this.exitCode = -1;
  }

  /** The process's exit code, or -1 when it never ran. */
  public int exitCode() {
    return exitCode;
  }
}

package dev.kiln.engine.solver;

import java.util.List;

/**
 * A nested build failed: the message names the chain down to the failed step, and the failed step's
 * last output lines stand for the build op's own.
 */
public final class NestedBuildFailed extends RuntimeException {
  private final List<String> lastLines;

  public NestedBuildFailed(String message, List<String> lastLines) {
    super(message, null, false, false);
    this.lastLines = List.copyOf(lastLines);
  }

  public List<String> lastLines() {
    return lastLines;
  }
}

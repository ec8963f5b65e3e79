package dev.kiln.engine.run;

/** Work stopped because nobody wants its result any more. */
public final class CancelledException extends RuntimeException {
  public CancelledException() {
    super("cancelled");
  }
}

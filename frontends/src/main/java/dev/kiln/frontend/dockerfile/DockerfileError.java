package dev.kiln.frontend.dockerfile;

/** A Dockerfile that cannot be built: what is wrong, and the line (1-based) it is on, or 0. */
public final class DockerfileError extends RuntimeException {
  private final int line;

  public DockerfileError(int line, String message) {
    super(message);
    this.line = line;
  }

  public int line() {
    return line;
  }
}

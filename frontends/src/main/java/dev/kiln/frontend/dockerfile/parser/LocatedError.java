package dev.kiln.frontend.dockerfile.parser;

/** A parse failure that already knows its 1-based line; the file name is added by the parser. */
final class LocatedError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int line;

  LocatedError(String message, int line) {
    super(message);
    this.line = line;
  }

  int line() {
    return line;
  }
}

package dev.kiln.frontend.dockerfile.parser;

/** A word that {@link ShellLex} cannot expand: unterminated quote, bad substitution, unset var. */
public final class ShellExpansionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ShellExpansionException(String message) {
    super(message);
  }
}

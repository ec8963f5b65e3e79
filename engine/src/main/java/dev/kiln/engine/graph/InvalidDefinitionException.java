package dev.kiln.engine.graph;

/** A definition that cannot be solved; the message names the file or vertex and what is wrong. */
public final class InvalidDefinitionException extends RuntimeException {
  public InvalidDefinitionException(String message) {
    super(message);
  }

  public InvalidDefinitionException(String message, Throwable cause) {
    super(message, cause);
  }
}

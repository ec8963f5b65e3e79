package dev.kiln.frontend.gateway;

/** A frontend failed, misbehaved or returned an error: the message names it and says how. */
public final class FrontendException extends Exception {
  public FrontendException(String message) {
    super(message);
  }

  public FrontendException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.kiln.gateway.client;

import java.io.IOException;
import java.util.Optional;

/** Kiln refused a request: its message, and the step that failed when a solve did. */
public final class GatewayException extends IOException {
  private final transient GatewayMessage.Error error;

  GatewayException(GatewayMessage.Error error) {
    super(error.message() + error.vertex().map(v -> " (" + v + ")").orElse(""));
    this.error = error;
  }

  /** The step that failed, when a solve did. */
  public Optional<String> vertex() {
    return error.vertex();
  }
}

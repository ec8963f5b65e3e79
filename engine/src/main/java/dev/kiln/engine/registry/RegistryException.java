package dev.kiln.engine.registry;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/** A registry refused, failed or garbled a request; the message names it and says what to do. */
public final class RegistryException extends IOException {
  /** What went wrong, which decides whether trying again can help. */
  public enum Kind {
    /** 401: no or wrong credentials. */
    UNAUTHORIZED,
    /** 403: the credentials do not allow this. */
    DENIED,
    /** 404: no such repository, tag, manifest or blob. */
    NOT_FOUND,
    /** 5xx, 429, a reset or timed-out connection: worth another attempt. */
    UNAVAILABLE,
    /** The registry answered something that breaks the protocol (wrong digest, bad JSON…). */
    INVALID_RESPONSE,
    /** Any other refusal (4xx). */
    REJECTED
  }

  private final Kind kind;
  private final transient Optional<Duration> retryAfter;

  public RegistryException(Kind kind, String message) {
    this(kind, message, Optional.empty(), null);
  }

  public RegistryException(Kind kind, String message, Throwable cause) {
    this(kind, message, Optional.empty(), cause);
  }

  public RegistryException(
      Kind kind, String message, Optional<Duration> retryAfter, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  /** True for failures another attempt may not meet: 5xx, 429 and broken connections. */
  public boolean retryable() {
    return kind == Kind.UNAVAILABLE;
  }

  /** How long the registry asked to wait ({@code Retry-After}), when it did. */
  public Optional<Duration> retryAfter() {
    return retryAfter == null ? Optional.empty() : retryAfter;
  }
}

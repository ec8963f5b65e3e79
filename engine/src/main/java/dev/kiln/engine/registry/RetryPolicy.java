package dev.kiln.engine.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;

/**
 * How often and how patiently a registry call is tried again after a failure worth retrying (5xx,
 * 429, a broken connection): {@code attempts} in all, waiting {@code firstDelay} and then twice as
 * long each time, never more than {@code maxDelay} (nor than a {@code Retry-After} capped there).
 */
public record RetryPolicy(int attempts, Duration firstDelay, Duration maxDelay) {
  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
    if (firstDelay.isNegative() || maxDelay.compareTo(firstDelay) < 0) {
      throw new IllegalArgumentException("delays must satisfy 0 <= firstDelay <= maxDelay");
    }
  }

  /** Four attempts over about two seconds. */
  public static RetryPolicy standard() {
    return new RetryPolicy(4, Duration.ofMillis(250), Duration.ofSeconds(4));
  }

  /** A call that may fail with an {@link IOException}. */
  @FunctionalInterface
  public interface Call<T> {
    T call() throws IOException;
  }

  /** Runs {@code call}, again after retryable {@link RegistryException}s, up to the bound. */
  public <T> T run(Call<T> call) throws IOException {
    for (int failures = 1; ; failures++) {
      try {
        return call.call();
      } catch (RegistryException e) {
        if (!e.retryable() || failures >= attempts) {
          throw e;
        }
        pause(failures, e.retryAfter());
      }
    }
  }

  /** Waits before attempt {@code failures + 1}. */
  void pause(int failures, Optional<Duration> retryAfter) throws IOException {
    Duration backoff = firstDelay.multipliedBy(1L << Math.min(failures - 1, 20));
    if (retryAfter.isPresent() && retryAfter.get().compareTo(backoff) > 0) {
      backoff = retryAfter.get();
    }
    if (backoff.compareTo(maxDelay) > 0) {
      backoff = maxDelay;
    }
    try {
      Thread.sleep(backoff.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry a registry request");
    }
  }
}

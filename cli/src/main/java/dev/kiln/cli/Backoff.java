package dev.kiln.cli;

import java.time.Duration;

/**
 * Retries of a request to a daemon that went away: waits 100 ms, doubling to 2 s between tries, for
 * up to a timeout ({@code --reconnect-timeout}).
 */
final class Backoff {
  private static final long FIRST_MILLIS = 100;
  private static final long MOST_MILLIS = 2_000;

  private final long deadline;
  private long wait = FIRST_MILLIS;

  Backoff(Duration timeout) {
    this.deadline = System.nanoTime() + timeout.toNanos();
  }

  /** Waits before the next try; false, at once, when the time is up. */
  boolean next() throws InterruptedException {
    if (System.nanoTime() > deadline) {
      return false;
    }
    Thread.sleep(wait); // a retry's pause, not a wait for an event
    wait = Math.min(wait * 2, MOST_MILLIS);
    return true;
  }

  /**
   * Whether {@code failure} may pass once the daemon is back: no answer, or one that is stopping.
   */
  static boolean retries(java.io.IOException failure) {
    return !(failure instanceof DaemonHttp.Refused refused) || refused.status == 503;
  }
}

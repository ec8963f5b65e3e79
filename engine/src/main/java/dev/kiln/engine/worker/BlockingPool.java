package dev.kiln.engine.worker;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A dispatcher for blocking work that knows what is still running, so that an engine shutting down
 * can wait for it: a step or an unpack must not go on writing into a root that the next engine's
 * start-up is cleaning.
 */
final class BlockingPool {
  private final Executor executor;
  private int running;

  BlockingPool(Executor executor) {
    this.executor = executor;
  }

  /** Runs {@code work} on the pool; checked failures complete the stage exceptionally. */
  <T> CompletableFuture<T> supply(Callable<T> work) {
    synchronized (this) {
      running++;
    }
    try {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              return Unchecked.get(work);
            } finally {
              finished();
            }
          },
          executor);
    } catch (RuntimeException e) {
      finished();
      throw e;
    }
  }

  private synchronized void finished() {
    running--;
    notifyAll();
  }

  /** Waits until nothing runs, at most {@code limit}; returns whether the pool is idle. */
  synchronized boolean awaitIdle(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (running > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }
}

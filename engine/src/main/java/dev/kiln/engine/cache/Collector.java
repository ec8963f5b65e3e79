package dev.kiln.engine.cache;

import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the automatic cache collection when no build holds a lease: builds (and whatever reads their
 * results afterwards, such as exports) hold leases; closing the last one schedules a collection,
 * and a build that starts while one runs waits for it. So a collection never deletes what a running
 * build uses.
 */
public final class Collector {
  /** Work a collection does; blocking. */
  @FunctionalInterface
  public interface Work {
    CachePruner.Pruned run() throws Exception;
  }

  /** A build's hold on the cache; closing it twice is harmless. */
  public interface Lease extends AutoCloseable {
    @Override
    void close();
  }

  private final Object lock = new Object();
  private final Optional<Work> work;
  private final Executor pool;
  private int leases;
  private boolean collecting;
  private boolean closed;
  private Optional<CachePruner.Pruned> last = Optional.empty();
  private Optional<Exception> failure = Optional.empty();

  /** {@code work} runs on {@code pool} after the last lease closes; none when empty. */
  public Collector(Optional<Work> work, Executor pool) {
    this.work = work;
    this.pool = pool;
  }

  /** Takes a lease, waiting for a collection in progress to end. */
  public Lease lease() {
    synchronized (lock) {
      awaitCollection();
      leases++;
    }
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        release();
      }
    };
  }

  private void release() {
    synchronized (lock) {
      leases--;
      if (leases > 0 || work.isEmpty() || closed) {
        return;
      }
      collecting = true;
    }
    pool.execute(this::collect);
  }

  private void collect() {
    Optional<CachePruner.Pruned> result = Optional.empty();
    Optional<Exception> error = Optional.empty();
    try {
      result = Optional.of(work.orElseThrow().run());
    } catch (Exception e) {
      error = Optional.of(e);
    } finally {
      synchronized (lock) {
        collecting = false;
        if (result.isPresent()) {
          last = result;
        }
        failure = error;
        lock.notifyAll();
      }
    }
  }

  /** What the last collection removed, if one ran. */
  public Optional<CachePruner.Pruned> last() {
    synchronized (lock) {
      return last;
    }
  }

  /** Why the last collection failed, if it did. */
  public Optional<Exception> failure() {
    synchronized (lock) {
      return failure;
    }
  }

  /** Waits for a collection in progress and allows no new one. */
  public void close() {
    synchronized (lock) {
      closed = true;
      awaitCollection();
    }
  }

  private void awaitCollection() {
    boolean interrupted = false;
    while (collecting) {
      try {
        lock.wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}

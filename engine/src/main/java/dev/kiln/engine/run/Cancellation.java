package dev.kiln.engine.run;

import java.util.ArrayList;
import java.util.List;

/** A one-way signal that work is no longer wanted; listeners run once, on the cancelling thread. */
public final class Cancellation {
  private final List<Runnable> listeners = new ArrayList<>();
  private boolean cancelled;

  public void cancel() {
    List<Runnable> toRun;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      toRun = List.copyOf(listeners);
      listeners.clear();
    }
    toRun.forEach(Runnable::run);
  }

  public synchronized boolean isCancelled() {
    return cancelled;
  }

  /** Runs {@code listener} on cancellation, or now if already cancelled. */
  public void onCancel(Runnable listener) {
    synchronized (this) {
      if (!cancelled) {
        listeners.add(listener);
        return;
      }
    }
    listener.run();
  }

  /** Throws {@link CancelledException} if cancelled; for checkpoints in long blocking work. */
  public void check() {
    if (isCancelled()) {
      throw new CancelledException();
    }
  }
}

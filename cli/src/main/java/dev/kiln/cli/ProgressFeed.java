package dev.kiln.cli;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.LogStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Hands progress events to a printer on a thread of its own, so that a slow terminal or pipe never
 * slows the build: {@link #accept} only queues. Step events are always kept; when more than {@code
 * maxLogLines} output lines wait, further lines are dropped and the printer is told how many before
 * that step's next event.
 */
final class ProgressFeed implements Consumer<ProgressEvent>, AutoCloseable {
  private final Consumer<ProgressEvent> printer;
  private final int maxLogLines;
  private final ArrayDeque<ProgressEvent> queue = new ArrayDeque<>();
  private final Map<Digest, Integer> dropped = new LinkedHashMap<>();
  private final Thread thread;
  private int waitingLogLines;
  private boolean closed;

  ProgressFeed(Consumer<ProgressEvent> printer, int maxLogLines) {
    this.printer = printer;
    this.maxLogLines = maxLogLines;
    this.thread = new Thread(this::drain, "kiln-progress");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public synchronized void accept(ProgressEvent event) {
    if (event instanceof ProgressEvent.VertexLog log) {
      if (waitingLogLines >= maxLogLines) {
        dropped.merge(log.vertex(), 1, Integer::sum);
        return;
      }
      waitingLogLines++;
    } else {
      vertexOf(event)
          .ifPresent(
              vertex -> {
                Integer lost = dropped.remove(vertex);
                if (lost != null) {
                  queue.add(droppedNote(vertex, lost));
                }
              });
    }
    queue.add(event);
    notifyAll();
  }

  private static ProgressEvent droppedNote(Digest vertex, int lines) {
    return new ProgressEvent.VertexLog(
        vertex,
        LogStream.STDERR,
        "[kiln: " + lines + " output lines not shown: the display could not keep up]",
        Duration.ZERO);
  }

  private static Optional<Digest> vertexOf(ProgressEvent event) {
    if (event instanceof ProgressEvent.VertexStarted e) {
      return Optional.of(e.vertex());
    } else if (event instanceof ProgressEvent.VertexCompleted e) {
      return Optional.of(e.vertex());
    } else if (event instanceof ProgressEvent.VertexFailed e) {
      return Optional.of(e.vertex());
    } else if (event instanceof ProgressEvent.VertexCached e) {
      return Optional.of(e.vertex());
    }
    return Optional.empty();
  }

  private void drain() {
    while (true) {
      ProgressEvent next;
      synchronized (this) {
        while (queue.isEmpty() && !closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (queue.isEmpty()) {
          return;
        }
        next = queue.poll();
        if (next instanceof ProgressEvent.VertexLog) {
          waitingLogLines--;
        }
      }
      printer.accept(next);
    }
  }

  /** Lets the printer finish every queued event, then returns. */
  @Override
  public void close() throws InterruptedException {
    synchronized (this) {
      dropped.forEach((vertex, lines) -> queue.add(droppedNote(vertex, lines)));
      dropped.clear();
      closed = true;
      notifyAll();
    }
    thread.join();
  }
}

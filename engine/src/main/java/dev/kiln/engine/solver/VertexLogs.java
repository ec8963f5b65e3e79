package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.run.LogStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A running vertex's log sink: forwards lines to every build watching the vertex and keeps the last
 * lines for the error report. Called from the worker's threads, so it is thread-safe.
 */
final class VertexLogs implements LogSink {
  static final int TAIL = 20;
  private final Digest vertex;
  private final Set<ActorRef<ProgressEvent>> listeners;
  private volatile long startNanos = System.nanoTime();
  private final Deque<String> tail = new ArrayDeque<>();

  VertexLogs(Digest vertex, Set<ActorRef<ProgressEvent>> listeners) {
    this.vertex = vertex;
    this.listeners = listeners;
  }

  @Override
  public void line(LogStream stream, String line) {
    synchronized (tail) {
      if (tail.size() == TAIL) {
        tail.removeFirst();
      }
      tail.addLast(line);
    }
    var event =
        new ProgressEvent.VertexLog(
            vertex, stream, line, Duration.ofNanos(System.nanoTime() - startNanos));
    listeners.forEach(l -> l.tell(event));
  }

  /** Log times count from here: the moment the vertex starts to execute. */
  void markStarted() {
    startNanos = System.nanoTime();
  }

  List<String> tail() {
    synchronized (tail) {
      return List.copyOf(tail);
    }
  }
}

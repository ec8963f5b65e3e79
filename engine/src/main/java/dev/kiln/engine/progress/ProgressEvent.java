package dev.kiln.engine.progress;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.run.LogStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** What a build reports while it runs, per vertex; the last event of a build is {@link Ended}. */
public sealed interface ProgressEvent {
  /**
   * A vertex found nothing in the cache under its key (or was told to ignore it) and will run if
   * its result is needed; the key's parts let a client explain the miss.
   */
  record VertexMissed(
      Digest vertex,
      String name,
      Digest key,
      String opDigest,
      List<String> inputs,
      boolean ignoredCache)
      implements ProgressEvent {
    public VertexMissed {
      inputs = List.copyOf(inputs);
    }
  }

  /** A vertex started to execute. */
  record VertexStarted(Digest vertex, String name, Instant at) implements ProgressEvent {}

  /** A vertex's result came from the cache; it did not run. */
  record VertexCached(Digest vertex, String name, Digest key) implements ProgressEvent {}

  /** A vertex finished executing. */
  record VertexCompleted(Digest vertex, String name, Duration took) implements ProgressEvent {}

  /**
   * A vertex that ran has its outputs recorded in the cache under {@code key}, durably: a later
   * build, or a resumed one, takes them from there and never runs it again.
   */
  record VertexRecorded(Digest vertex, String name, Digest key) implements ProgressEvent {}

  /** A vertex failed; {@code error} is one paragraph. */
  record VertexFailed(Digest vertex, String name, String error, Duration took)
      implements ProgressEvent {}

  /** One line of a vertex's output. */
  record VertexLog(Digest vertex, LogStream stream, String line, Duration sinceStart)
      implements ProgressEvent {}

  /** The build is over; nothing follows. */
  record Ended(boolean succeeded) implements ProgressEvent {}
}

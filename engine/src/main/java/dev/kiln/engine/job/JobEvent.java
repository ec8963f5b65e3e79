package dev.kiln.engine.job;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.kiln.engine.graph.Digest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What happened to a build job, as its journal keeps it. The JSON form of each event is pinned by a
 * test ({@code JobEventJsonTest}): journals written by one version must be read by the next, so a
 * change to these records that breaks old JSON fails the build. Each names its kind in {@code
 * "type"}, so that a job's state, which holds events, reads back too. Secrets are never in an
 * event.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = JobEvent.BuildAccepted.class, name = "build-accepted"),
  @JsonSubTypes.Type(value = JobEvent.VertexStarted.class, name = "vertex-started"),
  @JsonSubTypes.Type(value = JobEvent.VertexCompleted.class, name = "vertex-completed"),
  @JsonSubTypes.Type(value = JobEvent.ExportCompleted.class, name = "export-completed"),
  @JsonSubTypes.Type(value = JobEvent.BuildFinished.class, name = "build-finished"),
  @JsonSubTypes.Type(value = JobEvent.BuildFailed.class, name = "build-failed"),
  @JsonSubTypes.Type(value = JobEvent.BuildCancelled.class, name = "build-cancelled")
})
public sealed interface JobEvent extends JobSerializable {
  /** When it happened. */
  Instant at();

  /**
   * The build was accepted: the frontend ({@code dockerfile} or {@code definition}), its inputs by
   * digest (the definition, the Dockerfile, the context's snapshot: in the content store before
   * this event is written), the options and outputs as given, who asked, and the directory it was
   * asked in (relative paths in the options are relative to it; empty for a daemon's build).
   */
  record BuildAccepted(
      BuildId build,
      String frontend,
      Map<String, Digest> inputs,
      List<String> options,
      List<String> outputs,
      String client,
      String workdir,
      Instant at)
      implements JobEvent {
    public BuildAccepted {
      // Sorted, so that the same build writes the same JSON.
      inputs = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(inputs));
      options = List.copyOf(options);
      outputs = List.copyOf(outputs);
    }

    /** This event with {@code digest} as its input {@code name}. */
    public BuildAccepted withInput(String name, Digest digest) {
      Map<String, Digest> more = new java.util.TreeMap<>(inputs);
      more.put(name, digest);
      return new BuildAccepted(build, frontend, more, options, outputs, client, workdir, at);
    }
  }

  /** A vertex began to run. */
  record VertexStarted(Digest vertex, String name, Instant at) implements JobEvent {}

  /**
   * A vertex finished: its cache key and the references of its results (snapshot ids), which the
   * cache holds; a resumed build takes them from there and never runs the vertex again.
   */
  record VertexCompleted(Digest vertex, Digest cacheKey, List<String> results, Instant at)
      implements JobEvent {
    public VertexCompleted {
      results = List.copyOf(results);
    }
  }

  /** An output was written (each export is idempotent), with the digest it produced if any. */
  record ExportCompleted(String output, Optional<Digest> digest, Instant at) implements JobEvent {}

  /** The build succeeded; its result's cache key. */
  record BuildFinished(Digest result, Instant at) implements JobEvent {}

  /** The build failed: the error, and the vertex that failed when one did. */
  record BuildFailed(String error, Optional<Digest> vertex, Instant at) implements JobEvent {}

  /** The build was cancelled, and by whom or what. */
  record BuildCancelled(String by, Instant at) implements JobEvent {}
}

package dev.kiln.engine.job;

import dev.kiln.engine.graph.Digest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A build job as its events made it: what a job recovers after a restart. */
public record JobState(
    Status status,
    Optional<JobEvent.BuildAccepted> accepted,
    Map<Digest, JobEvent.VertexCompleted> completed,
    List<JobEvent.ExportCompleted> exports,
    Optional<JobEvent> end)
    implements JobSerializable {
  /** Where a job stands. */
  public enum Status {
    /** No event yet. */
    NEW,
    /** Accepted and not ended: running, or interrupted when a process stopped under it. */
    RUNNING,
    FINISHED,
    FAILED,
    CANCELLED;

    /** Whether no event can follow. */
    public boolean ended() {
      return this == FINISHED || this == FAILED || this == CANCELLED;
    }
  }

  public JobState {
    completed = Map.copyOf(completed);
    exports = List.copyOf(exports);
  }

  /** Before any event. */
  public static final JobState NEW =
      new JobState(Status.NEW, Optional.empty(), Map.of(), List.of(), Optional.empty());

  /** This state with {@code event} applied. */
  public JobState apply(JobEvent event) {
    if (event instanceof JobEvent.BuildAccepted accepted) {
      return new JobState(Status.RUNNING, Optional.of(accepted), completed, exports, end);
    }
    if (event instanceof JobEvent.VertexCompleted vertex) {
      Map<Digest, JobEvent.VertexCompleted> next = new LinkedHashMap<>(completed);
      next.put(vertex.vertex(), vertex);
      return new JobState(status, accepted, next, exports, end);
    }
    if (event instanceof JobEvent.ExportCompleted export) {
      List<JobEvent.ExportCompleted> next = new java.util.ArrayList<>(exports);
      next.add(export);
      return new JobState(status, accepted, completed, next, end);
    }
    if (event instanceof JobEvent.BuildFinished) {
      return new JobState(Status.FINISHED, accepted, completed, exports, Optional.of(event));
    }
    if (event instanceof JobEvent.BuildFailed) {
      return new JobState(Status.FAILED, accepted, completed, exports, Optional.of(event));
    }
    if (event instanceof JobEvent.BuildCancelled) {
      return new JobState(Status.CANCELLED, accepted, completed, exports, Optional.of(event));
    }
    return this; // VertexStarted: progress, which a resumed job does not need
  }
}

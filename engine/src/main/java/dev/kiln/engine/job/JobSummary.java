package dev.kiln.engine.job;

import java.time.Instant;
import java.util.Optional;

/**
 * A job as listings show it ({@code kiln ls}): its build, where it stands, what was asked, when it
 * was accepted and, once it has, when it ended. The job history keeps one per ended job; its JSON
 * is pinned by {@code JobEventJsonTest}.
 */
public record JobSummary(
    BuildId build,
    JobState.Status status,
    String description,
    Instant accepted,
    Optional<Instant> ended)
    implements JobSerializable {
  /** The summary of {@code job}; empty for a job never accepted. */
  public static Optional<JobSummary> of(JobState job) {
    return job.accepted()
        .map(
            accepted ->
                new JobSummary(
                    accepted.build(),
                    job.status(),
                    accepted.frontend() + ": " + String.join(" ", accepted.options()),
                    accepted.at(),
                    job.end().map(JobEvent::at)));
  }
}

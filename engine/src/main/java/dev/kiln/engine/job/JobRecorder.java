package dev.kiln.engine.job;

import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.solver.Outcome;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Turns a build's progress into its job's events: a vertex that starts, one that runs to its end
 * (with the cache key its miss named), and how the build ended. It only tells the job, never waits
 * for the journal: progress must not slow a build, and a resumed build needs no more than what
 * reached the journal (a vertex not recorded as completed runs again from its inputs, or comes from
 * the cache).
 */
public final class JobRecorder implements Consumer<ProgressEvent> {
  private final ActorRef<BuildJob.Command> job;
  private final ActorRef<BuildJob.Reply> ignored;

  public JobRecorder(ActorRef<BuildJob.Command> job, ActorRef<BuildJob.Reply> ignored) {
    this.job = job;
    this.ignored = ignored;
  }

  @Override
  public void accept(ProgressEvent event) {
    if (event instanceof ProgressEvent.VertexStarted started) {
      record(new JobEvent.VertexStarted(started.vertex(), started.name(), started.at()));
    } else if (event instanceof ProgressEvent.VertexRecorded recorded) {
      record(
          new JobEvent.VertexCompleted(
              recorded.vertex(), recorded.key(), List.of(), Instant.now()));
    }
  }

  /** The event that ends a build: {@code cancelled} when it was given up on. */
  public static JobEvent end(Outcome outcome, boolean cancelled, String cancelledBy) {
    Instant now = Instant.now();
    if (outcome instanceof Outcome.Solved solved) {
      return new JobEvent.BuildFinished(solved.key().digest(), now);
    }
    if (cancelled) {
      return new JobEvent.BuildCancelled(cancelledBy, now);
    }
    var error = ((Outcome.SolveFailed) outcome).error();
    return new JobEvent.BuildFailed(error.message(), Optional.of(error.vertex()), now);
  }

  private void record(JobEvent event) {
    job.tell(new BuildJob.Record(event, ignored));
  }
}

package dev.kiln.engine.job;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Recovery;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;

/**
 * Erases one ended build job from the journal: its events and its snapshots. A classic persistent
 * actor, because deleting a whole entity's events is what Pekko Persistence offers there (typed
 * behaviours delete only on snapshots); it replays nothing, deletes up to the highest sequence
 * number the journal holds, and stops.
 */
final class JobEraser extends AbstractPersistentActor {
  private final BuildId build;
  private final CompletableFuture<Done> done;
  private int pending = 2;

  private JobEraser(BuildId build, CompletableFuture<Done> done) {
    this.build = build;
    this.done = done;
  }

  /** Erases {@code builds}' jobs, {@code parallelism} at a time; fails with the first failure. */
  static CompletionStage<Done> eraseAll(
      ActorSystem<?> system, List<BuildId> builds, int parallelism) {
    return Source.from(builds)
        .mapAsync(parallelism, build -> erase(system, build))
        .runWith(Sink.ignore(), system);
  }

  /** Erases {@code build}'s job; answered once its events and snapshots are gone. */
  static CompletionStage<Done> erase(ActorSystem<?> system, BuildId build) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    ((ExtendedActorSystem) Adapter.toClassic(system))
        .systemActorOf(
            Props.create(JobEraser.class, () -> new JobEraser(build, done)),
            "job-" + build.value() + "-erase-" + UUID.randomUUID());
    return done;
  }

  @Override
  public String persistenceId() {
    return "build-" + build.value();
  }

  @Override
  public Recovery recovery() {
    return Recovery.none();
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder().match(RecoveryCompleted.class, completed -> erase()).build();
  }

  private void erase() {
    if (lastSequenceNr() > 0) {
      deleteMessages(lastSequenceNr());
    } else {
      pending--;
    }
    deleteSnapshots(SnapshotSelectionCriteria.create(Long.MAX_VALUE, Long.MAX_VALUE));
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(DeleteMessagesSuccess.class, success -> deleted())
        .match(DeleteSnapshotsSuccess.class, success -> deleted())
        .match(DeleteMessagesFailure.class, failure -> failed(failure.cause()))
        .match(DeleteSnapshotsFailure.class, failure -> failed(failure.cause()))
        .build();
  }

  private void deleted() {
    if (--pending == 0) {
      done.complete(Done.getInstance());
      getContext().stop(getSelf());
    }
  }

  private void failed(Throwable cause) {
    done.completeExceptionally(cause);
    getContext().stop(getSelf());
  }

  @Override
  public void onRecoveryFailure(Throwable cause, Option<Object> event) {
    done.completeExceptionally(cause);
    super.onRecoveryFailure(cause, event);
  }

  @Override
  public void postStop() throws Exception {
    done.completeExceptionally(
        new IllegalStateException("stopped before build " + build + " was erased"));
    super.postStop();
  }
}

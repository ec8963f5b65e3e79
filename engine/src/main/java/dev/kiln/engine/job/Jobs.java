package dev.kiln.engine.job;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * An engine's build jobs: opens a build's job (accepted anew, or an interrupted one resumed), reads
 * a job back. Its methods block until the journal has answered; callers are not actors.
 */
public final class Jobs {
  private static final Duration JOURNAL_TIMEOUT = Duration.ofSeconds(30);

  private final ActorSystem<?> system;

  public Jobs(ActorSystem<?> system) {
    this.system = system;
  }

  /** A build's job while the build runs: where its events go, and how it ends. */
  public final class Open {
    private final ActorRef<BuildJob.Command> actor;

    private Open(ActorRef<BuildJob.Command> actor) {
      this.actor = actor;
    }

    /** What records the build's progress as events. */
    public JobRecorder recorder() {
      return new JobRecorder(actor, system.ignoreRef());
    }

    /** Records {@code event}, the build's end, then lets the job's actor go. */
    public CompletionStage<BuildJob.Reply> end(JobEvent event) {
      return AskPattern.<BuildJob.Command, BuildJob.Reply>ask(
              actor,
              replyTo -> new BuildJob.Record(event, replyTo),
              JOURNAL_TIMEOUT,
              system.scheduler())
          .whenComplete((reply, failure) -> actor.tell(BuildJob.Stop.INSTANCE));
    }
  }

  /**
   * Opens the job of {@code accepted}'s build: a new build's is accepted (its event is in the
   * journal when this returns); with {@code resume}, the job must exist and be interrupted (not
   * ended), and goes on where it stood. Throws saying why it cannot.
   */
  public Open open(JobEvent.BuildAccepted accepted, boolean resume) throws IOException {
    BuildId id = accepted.build();
    ActorRef<BuildJob.Command> actor =
        system.systemActorOf(BuildJob.create(id), "job-" + id.value(), Props.empty());
    try {
      if (resume) {
        JobState state = ask(actor, BuildJob.Get::new, id);
        if (state.status() != JobState.Status.RUNNING) {
          throw new IOException(
              "build "
                  + id
                  + (state.status() == JobState.Status.NEW
                      ? " has no job here"
                      : " is not interrupted: it "
                          + state.status().name().toLowerCase(Locale.ROOT)));
        }
      } else {
        BuildJob.Reply reply = ask(actor, replyTo -> new BuildJob.Accept(accepted, replyTo), id);
        if (reply instanceof BuildJob.Refused refused) {
          throw new IOException("the job of build " + id + " was refused: " + refused.why());
        }
      }
      return new Open(actor);
    } catch (IOException | RuntimeException e) {
      actor.tell(BuildJob.Stop.INSTANCE);
      throw e;
    }
  }

  /**
   * The ids of the builds this journal names, oldest first (ids sort by time): those with a job,
   * and those only looked up ({@link #read} of an unknown id leaves its name behind).
   */
  public java.util.List<BuildId> ids() throws IOException {
    var journal =
        org.apache.pekko.persistence.query.PersistenceQuery.get(system)
            .getReadJournalFor(
                org.apache.pekko.persistence.query.journal.leveldb.javadsl.LeveldbReadJournal.class,
                org.apache.pekko.persistence.query.journal.leveldb.javadsl.LeveldbReadJournal
                    .Identifier());
    java.util.List<String> names;
    try {
      names =
          journal
              .currentPersistenceIds()
              .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), system)
              .toCompletableFuture()
              .get(JOURNAL_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while listing the journal's jobs", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("cannot list the journal's jobs: " + e, e);
    }
    java.util.List<BuildId> ids = new java.util.ArrayList<>();
    for (String name : names) {
      if (name.startsWith("build-")) {
        try {
          ids.add(BuildId.parse(name.substring("build-".length())));
        } catch (IllegalArgumentException e) {
          // not a job of Kiln's
        }
      }
    }
    ids.sort(java.util.Comparator.comparing(BuildId::value));
    return ids;
  }

  /** The journaled state of build {@code id}'s job ({@link JobState#NEW} when there is none). */
  public JobState read(BuildId id) throws IOException {
    ActorRef<BuildJob.Command> reader =
        system.systemActorOf(
            BuildJob.create(id), "job-" + id.value() + "-read-" + UUID.randomUUID(), Props.empty());
    try {
      return ask(reader, BuildJob.Get::new, id);
    } finally {
      reader.tell(BuildJob.Stop.INSTANCE);
    }
  }

  private <T> T ask(
      ActorRef<BuildJob.Command> actor,
      org.apache.pekko.japi.function.Function<ActorRef<T>, BuildJob.Command> message,
      BuildId id)
      throws IOException {
    try {
      return AskPattern.ask(actor, message, JOURNAL_TIMEOUT, system.scheduler())
          .toCompletableFuture()
          .get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the journal answered for build " + id, e);
    } catch (ExecutionException e) {
      throw new IOException(
          "the journal did not answer for build " + id + ": " + e.getCause().getMessage(), e);
    }
  }
}

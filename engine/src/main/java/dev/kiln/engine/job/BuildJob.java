package dev.kiln.engine.job;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One build as a persistent job: the events of {@link JobEvent}, journaled before they count, so
 * that after a crash the job knows what it was asked, which vertices completed (their results are
 * in the cache) and whether it ended. Keyed by the build's id.
 */
public final class BuildJob extends EventSourcedBehavior<BuildJob.Command, JobEvent, JobState> {
  /** Snapshots every this many events, keeping two: recovery reads at most this many. */
  static final int SNAPSHOT_EVERY = 100;

  /** The protocol. */
  public sealed interface Command extends JobSerializable {}

  /** Accept the build (the job's first event); refused once it has one. */
  public record Accept(JobEvent.BuildAccepted event, ActorRef<Reply> replyTo) implements Command {}

  /** Record what happened to an accepted, unended job: any event but {@code BuildAccepted}. */
  public record Record(JobEvent event, ActorRef<Reply> replyTo) implements Command {}

  /** The job's state now. */
  public record Get(ActorRef<JobState> replyTo) implements Command {}

  /** Stop the job's actor (its journal stays): its build is over, or its process is. */
  public enum Stop implements Command {
    INSTANCE
  }

  /** The answer to {@link Accept} and {@link Record}. */
  public sealed interface Reply extends JobSerializable {}

  /** The event is in the journal; the state it made. */
  public record Persisted(JobState state) implements Reply {}

  /** The event was not written, and why. */
  public record Refused(String why) implements Reply {}

  private final BuildId build;

  /** The job of {@code build}; its persist failures restart it with a backoff. */
  public static Behavior<Command> create(BuildId build) {
    return new BuildJob(build);
  }

  private BuildJob(BuildId build) {
    super(PersistenceId.ofUniqueId("build-" + build.value()), JobJournal.RESTART_ON_FAILED_WRITE);
    this.build = build;
  }

  @Override
  public JobState emptyState() {
    return JobState.NEW;
  }

  @Override
  public CommandHandler<Command, JobEvent, JobState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Accept.class, this::onAccept)
        .onCommand(Record.class, this::onRecord)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
        .onCommand(Stop.class, (state, stop) -> Effect().stop())
        .build();
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<JobEvent, JobState> onAccept(
      JobState state, Accept accept) {
    if (state.status() != JobState.Status.NEW) {
      return Effect()
          .reply(accept.replyTo(), new Refused("build " + build + " is accepted already"));
    }
    if (!accept.event().build().equals(build)) {
      return Effect()
          .reply(accept.replyTo(), new Refused("the event is of build " + accept.event().build()));
    }
    return Effect().persist(accept.event()).thenReply(accept.replyTo(), Persisted::new);
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<JobEvent, JobState> onRecord(
      JobState state, Record record) {
    if (record.event() instanceof JobEvent.BuildAccepted) {
      return Effect().reply(record.replyTo(), new Refused("accept a build with Accept"));
    }
    if (state.status() == JobState.Status.NEW) {
      return Effect().reply(record.replyTo(), new Refused("build " + build + " is not accepted"));
    }
    if (state.status().ended()) {
      return Effect()
          .reply(
              record.replyTo(),
              new Refused(
                  "build "
                      + build
                      + " has ended ("
                      + state.status().name().toLowerCase(java.util.Locale.ROOT)
                      + ")"));
    }
    return Effect().persist(record.event()).thenReply(record.replyTo(), Persisted::new);
  }

  @Override
  public EventHandler<JobState, JobEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(JobState::apply);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }
}

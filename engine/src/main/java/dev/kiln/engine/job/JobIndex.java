package dev.kiln.engine.job;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * Which build jobs have not ended, as one small persistent entity: a start finds the few unfinished
 * jobs among thousands without reading every job. A job is opened here before its {@code
 * BuildAccepted} is written and closed after its end is, so the index may name a job that never got
 * accepted or has ended (a crash between the two writes), never miss an unfinished one; the reader
 * checks each job and closes what it finds over.
 */
public final class JobIndex
    extends EventSourcedBehavior<JobIndex.Command, JobIndex.Event, JobIndex.State> {
  /** The index's persistence id; not a build's ({@code build-…}), so job listings skip it. */
  static final String PERSISTENCE_ID = "kiln-job-index";

  private static final int SNAPSHOT_EVERY = 100;

  /** The protocol. */
  public sealed interface Command extends JobSerializable {}

  /** Names {@code build} as unfinished (nothing is written if it is already). */
  public record Open(BuildId build, ActorRef<Done> replyTo) implements Command {}

  /** {@code build} has ended (nothing is written if it was not open). */
  public record Close(BuildId build, ActorRef<Done> replyTo) implements Command {}

  /** The unfinished builds. */
  public record Get(ActorRef<State> replyTo) implements Command {}

  /** Stop the actor (its journal stays): another node's index, read or changed for a takeover. */
  public enum Stop implements Command {
    INSTANCE
  }

  /** What the index's journal holds. JSON pinned by {@code JobEventJsonTest}. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = JobOpened.class, name = "job-opened"),
    @JsonSubTypes.Type(value = JobClosed.class, name = "job-closed")
  })
  public sealed interface Event extends JobSerializable {}

  /** A build's job is opened: it will be accepted, or it was and it resumes. */
  public record JobOpened(BuildId build, Instant at) implements Event {}

  /** A build's job has ended, or was never accepted. */
  public record JobClosed(BuildId build, Instant at) implements Event {}

  /** The unfinished builds, oldest first (ids sort by time). */
  public record State(List<BuildId> open) implements JobSerializable {
    public State {
      open = List.copyOf(new TreeSet<>(open));
    }

    State apply(Event event) {
      TreeSet<BuildId> next = new TreeSet<>(open);
      if (event instanceof JobOpened opened) {
        next.add(opened.build());
      } else {
        next.remove(((JobClosed) event).build());
      }
      return new State(List.copyOf(next));
    }
  }

  /**
   * The index of the node {@code scope} names (empty for a journal of one node's own); its persist
   * failures restart it with a backoff.
   */
  public static Behavior<Command> create(String scope) {
    return new JobIndex(scope);
  }

  private JobIndex(String scope) {
    super(PersistenceId.ofUniqueId(PERSISTENCE_ID + scope), JobJournal.RESTART_ON_FAILED_WRITE);
  }

  @Override
  public State emptyState() {
    return new State(List.of());
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Open.class,
            (state, open) ->
                change(
                    !state.open().contains(open.build()),
                    new JobOpened(open.build(), Instant.now()),
                    open.replyTo()))
        .onCommand(
            Close.class,
            (state, close) ->
                change(
                    state.open().contains(close.build()),
                    new JobClosed(close.build(), Instant.now()),
                    close.replyTo()))
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
        .onCommand(Stop.class, (state, stop) -> Effect().stop())
        .build();
  }

  private Effect<Event, State> change(boolean needed, Event event, ActorRef<Done> replyTo) {
    if (!needed) {
      return Effect().reply(replyTo, Done.getInstance());
    }
    return Effect().persist(event).thenReply(replyTo, state -> Done.getInstance());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }
}

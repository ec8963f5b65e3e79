package dev.kiln.engine.job;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The ended jobs of a journal, as one persistent entity: what {@code kiln ls} shows of them without
 * reading each job, and when each ended, so that a job's events are erased once it has been over
 * for longer than the retention period (as BuildKit's build history forgets records older than its
 * {@code maxAge}). A job is named here after its end is written and before the index of unfinished
 * jobs lets it go, so a crash between leaves it to the index's reader, which names it here again
 * (naming twice changes nothing). Erasure runs after each ended job, when the history starts and
 * hourly, {@value #ERASE_AT_ONCE} jobs at a time: their events and snapshots first, then their
 * names here, so a crash between erases them again, which is harmless.
 */
public final class JobHistory
    extends EventSourcedBehavior<JobHistory.Command, JobHistory.Event, JobHistory.State> {
  /** The history's persistence id; not a build's ({@code build-…}), so job listings skip it. */
  static final String PERSISTENCE_ID = "kiln-job-history";

  /** How long ended jobs are kept unless configured: 48 hours, as BuildKit keeps its history. */
  public static final Duration DEFAULT_KEEP = Duration.ofHours(48);

  private static final int SNAPSHOT_EVERY = 100;
  private static final int ERASE_AT_ONCE = 256;
  private static final int ERASE_PARALLELISM = 4;
  private static final Duration SWEEP_EVERY = Duration.ofHours(1);

  /** The protocol. */
  public sealed interface Command extends JobSerializable {}

  /** Names an ended job (nothing is written if it is named already). */
  public record Ended(JobSummary job, ActorRef<Done> replyTo) implements Command {}

  /** The ended jobs still kept. */
  public record Get(ActorRef<State> replyTo) implements Command {}

  /** Erase the jobs whose retention is over now; answered once they are (or could not be). */
  public record EraseDue(ActorRef<Done> replyTo) implements Command {}

  /** Answer once no erasure runs, and start none after: its process is stopping. */
  public record Quiesce(ActorRef<Done> replyTo) implements Command {}

  /** Erase the jobs whose retention is over. */
  enum Sweep implements Command {
    INSTANCE
  }

  /** The jobs of a sweep are erased from the journal, or could not all be (and why). */
  record Erased(List<BuildId> builds, Optional<String> failure) implements Command {}

  /** What the history's journal holds. JSON pinned by {@code JobEventJsonTest}. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = JobEnded.class, name = "job-ended"),
    @JsonSubTypes.Type(value = JobsErased.class, name = "jobs-erased")
  })
  public sealed interface Event extends JobSerializable {}

  /** A job has ended. */
  public record JobEnded(JobSummary job) implements Event {}

  /** The events of these jobs are erased: their retention was over. */
  public record JobsErased(List<BuildId> builds, Instant at) implements Event {
    public JobsErased {
      builds = List.copyOf(builds);
    }
  }

  /** The ended jobs still kept, oldest first (ids sort by time). */
  public record State(List<JobSummary> ended) implements JobSerializable {
    public State {
      ended = ended.stream().sorted(Comparator.comparing(job -> job.build().value())).toList();
    }

    boolean names(BuildId build) {
      return ended.stream().anyMatch(job -> job.build().equals(build));
    }

    /** The jobs that ended before {@code cutoff}, at most {@code limit}. */
    List<BuildId> endedBefore(Instant cutoff, int limit) {
      return ended.stream()
          .filter(job -> job.ended().map(cutoff::isAfter).orElse(true))
          .limit(limit)
          .map(JobSummary::build)
          .toList();
    }

    State apply(Event event) {
      // Linear (the list stays nearly sorted, which sorts in one pass): the history may hold
      // thousands of jobs, and recovery applies up to a snapshot interval of events.
      if (event instanceof JobEnded added) {
        List<JobSummary> next = new java.util.ArrayList<>(ended.size() + 1);
        ended.stream().filter(job -> !job.build().equals(added.job().build())).forEach(next::add);
        next.add(added.job());
        return new State(next);
      }
      java.util.Set<BuildId> gone = new java.util.HashSet<>(((JobsErased) event).builds());
      return new State(ended.stream().filter(job -> !gone.contains(job.build())).toList());
    }
  }

  private final ActorContext<Command> context;
  private final Duration keep;
  private boolean sweeping;
  private boolean quiesced;
  private final List<ActorRef<Done>> waiting = new java.util.ArrayList<>();

  /**
   * The history of the node {@code scope} names (see {@link JobIndex#create}); jobs ended for
   * longer than {@code keep} are erased. Its persist failures restart it with a backoff.
   */
  public static Behavior<Command> create(Duration keep, String scope) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Sweep.INSTANCE, SWEEP_EVERY);
                  return new JobHistory(context, keep, scope);
                }));
  }

  private JobHistory(ActorContext<Command> context, Duration keep, String scope) {
    super(PersistenceId.ofUniqueId(PERSISTENCE_ID + scope), JobJournal.RESTART_ON_FAILED_WRITE);
    this.context = context;
    this.keep = keep;
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
            Ended.class,
            (state, ended) ->
                state.names(ended.job().build())
                    ? Effect().reply(ended.replyTo(), Done.getInstance())
                    : Effect()
                        .persist(new JobEnded(ended.job()))
                        .thenRun(next -> context.getSelf().tell(Sweep.INSTANCE))
                        .thenReply(ended.replyTo(), next -> Done.getInstance()))
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
        .onCommand(
            EraseDue.class,
            (state, due) -> {
              waiting.add(due.replyTo());
              return onSweep(state, Sweep.INSTANCE);
            })
        .onCommand(
            Quiesce.class,
            (state, quiesce) -> {
              quiesced = true;
              if (sweeping) {
                waiting.add(quiesce.replyTo());
              } else {
                quiesce.replyTo().tell(Done.getInstance());
              }
              return Effect().none();
            })
        .onCommand(Sweep.class, this::onSweep)
        .onCommand(Erased.class, this::onErased)
        .build();
  }

  private Effect<Event, State> onSweep(State state, Sweep sweep) {
    if (sweeping) {
      return Effect().none();
    }
    if (quiesced) {
      answerWaiting();
      return Effect().none();
    }
    List<BuildId> due = state.endedBefore(Instant.now().minus(keep), ERASE_AT_ONCE);
    if (due.isEmpty()) {
      answerWaiting();
      return Effect().none();
    }
    sweeping = true;
    context.pipeToSelf(
        JobEraser.eraseAll(context.getSystem(), due, ERASE_PARALLELISM),
        (done, failure) ->
            new Erased(
                due, failure == null ? Optional.empty() : Optional.of(String.valueOf(failure))));
    return Effect().none();
  }

  private Effect<Event, State> onErased(State state, Erased erased) {
    sweeping = false;
    if (erased.failure().isPresent()) {
      // Kept named, so the next sweep tries again; erasing twice is harmless.
      context.getLog().warn("could not erase ended build jobs: {}", erased.failure().orElseThrow());
      answerWaiting();
      return Effect().none();
    }
    return Effect()
        .persist(new JobsErased(erased.builds(), Instant.now()))
        // More may be due; if not, that sweep answers those waiting.
        .thenRun(next -> context.getSelf().tell(Sweep.INSTANCE));
  }

  /** Tells those waiting for erasure that it is over. */
  private void answerWaiting() {
    waiting.forEach(replyTo -> replyTo.tell(Done.getInstance()));
    waiting.clear();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> context.getSelf().tell(Sweep.INSTANCE))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }
}

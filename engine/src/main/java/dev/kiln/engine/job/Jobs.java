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
public final class Jobs implements org.apache.pekko.actor.typed.Extension {
  /** One per actor system: two indexes of one journal would write over each other. */
  private static final org.apache.pekko.actor.typed.ExtensionId<Jobs> ID =
      new org.apache.pekko.actor.typed.ExtensionId<>() {
        @Override
        public Jobs createExtension(ActorSystem<?> system) {
          return new Jobs(system);
        }
      };

  private static final Duration JOURNAL_TIMEOUT = Duration.ofSeconds(30);

  /** How many jobs {@link #unfinished} reads at once. */
  private static final int READ_PARALLELISM = 8;

  /** How long an ended job's events are kept ({@code kiln.jobs.keep-duration}). */
  static final String KEEP_DURATION = "kiln.jobs.keep-duration";

  /** The node an index and a history belong to, in a shared journal; empty in a node's own. */
  static final String SCOPE = "kiln.jobs.scope";

  /** The read journal listing the journal's jobs. */
  static final String READ_JOURNAL = "kiln.jobs.read-journal";

  private final ActorSystem<?> system;
  private volatile ActorRef<JobIndex.Command> index;
  private volatile ActorRef<JobHistory.Command> history;

  /**
   * Closings of ended jobs still being written (history, then index): a build's end does not wait
   * for them, {@link #quiesce} does.
   */
  private final java.util.Set<java.util.concurrent.CompletableFuture<?>> closing =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private Jobs(ActorSystem<?> system) {
    this.system = system;
  }

  /** The jobs of {@code system}'s journal. */
  public static Jobs of(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The index of unfinished jobs, started with the first use (the journal's plugins with it). */
  private ActorRef<JobIndex.Command> index() {
    ActorRef<JobIndex.Command> started = index;
    if (started == null) {
      synchronized (this) {
        if (index == null) {
          index = system.systemActorOf(JobIndex.create(scope()), "job-index", Props.empty());
        }
        started = index;
      }
    }
    return started;
  }

  /**
   * Whose index and history these are in a journal several nodes share ({@code kiln.jobs.scope}).
   */
  private String scope() {
    return system.settings().config().getString(SCOPE);
  }

  /** The history of ended jobs, started with the first use. */
  private ActorRef<JobHistory.Command> history() {
    ActorRef<JobHistory.Command> started = history;
    if (started == null) {
      synchronized (this) {
        if (history == null) {
          history =
              system.systemActorOf(
                  JobHistory.create(system.settings().config().getDuration(KEEP_DURATION), scope()),
                  "job-history",
                  Props.empty());
        }
        started = history;
      }
    }
    return started;
  }

  /**
   * Names the ended job {@code state} in the history, then lets the index of unfinished jobs forget
   * it; answered when both are written (a failure of either is left to the next {@link
   * #unfinished}, which finds the job in the index still).
   */
  private CompletionStage<org.apache.pekko.Done> closed(BuildId id, JobState state) {
    CompletionStage<org.apache.pekko.Done> named =
        JobSummary.of(state)
            .<CompletionStage<org.apache.pekko.Done>>map(
                summary ->
                    AskPattern.ask(
                        history(),
                        replyTo -> new JobHistory.Ended(summary, replyTo),
                        JOURNAL_TIMEOUT,
                        system.scheduler()))
            .orElse(java.util.concurrent.CompletableFuture.completedFuture(null));
    java.util.concurrent.CompletableFuture<org.apache.pekko.Done> closed =
        named
            .thenCompose(
                done ->
                    AskPattern.<JobIndex.Command, org.apache.pekko.Done>ask(
                        index(),
                        replyTo -> new JobIndex.Close(id, replyTo),
                        JOURNAL_TIMEOUT,
                        system.scheduler()))
            .toCompletableFuture();
    closing.add(closed);
    closed.whenComplete((done, failure) -> closing.remove(closed));
    return closed;
  }

  /** Waits, at most {@code limit}, until the closings of ended jobs begun so far are written. */
  private void awaitClosings(Duration limit)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    java.util.concurrent.CompletableFuture.allOf(
            closing.toArray(java.util.concurrent.CompletableFuture[]::new))
        .get(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** {@link #awaitClosings}, its failure an {@link IOException}. */
  private void closingsWritten() throws IOException {
    try {
      awaitClosings(JOURNAL_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while ended jobs were closed", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("the journal did not close the ended jobs: " + e, e);
    }
  }

  /**
   * Waits, at most {@code limit}, until no closing of an ended job is being written and no erasure
   * runs, so that the journal can stop: LevelDB JNI frees an iterator still in use when its
   * database closes under a replay, which crashes the JVM. Erasures do not start again.
   */
  public void quiesce(Duration limit) {
    try {
      awaitClosings(limit);
      ActorRef<JobHistory.Command> started = history;
      if (started != null) {
        AskPattern.<JobHistory.Command, org.apache.pekko.Done>ask(
                started, JobHistory.Quiesce::new, limit, system.scheduler())
            .toCompletableFuture()
            .get(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      // Stopping anyway: what was not written is healed by the next start (see unfinished).
    }
  }

  /** A build's job while the build runs: where its events go, and how it ends. */
  public final class Open {
    private final BuildId id;
    private final ActorRef<BuildJob.Command> actor;

    private Open(BuildId id, ActorRef<BuildJob.Command> actor) {
      this.id = id;
      this.actor = actor;
    }

    /** What records the build's progress as events. */
    public JobRecorder recorder() {
      return new JobRecorder(actor, system.ignoreRef());
    }

    /** Records {@code event} (an export done) and waits until it is in the journal. */
    public void record(JobEvent event) throws IOException {
      BuildJob.Reply reply =
          await(
              AskPattern.<BuildJob.Command, BuildJob.Reply>ask(
                  actor,
                  replyTo -> new BuildJob.Record(event, replyTo),
                  JOURNAL_TIMEOUT,
                  system.scheduler()),
              "build " + id);
      if (reply instanceof BuildJob.Refused refused) {
        throw new IOException("the job of build " + id + " refused an event: " + refused.why());
      }
    }

    /**
     * Records {@code event}, the build's end, lets the job's actor go, and closes the job: named in
     * the history of ended jobs, then dropped from the index (a crash before that leaves it to the
     * next {@link #unfinished}). Answered once the end is in the journal; the closing follows.
     */
    public CompletionStage<BuildJob.Reply> end(JobEvent event) {
      return AskPattern.<BuildJob.Command, BuildJob.Reply>ask(
              actor,
              replyTo -> new BuildJob.Record(event, replyTo),
              JOURNAL_TIMEOUT,
              system.scheduler())
          .whenComplete((reply, failure) -> actor.tell(BuildJob.Stop.INSTANCE))
          .whenComplete(
              (reply, failure) -> {
                if (reply instanceof BuildJob.Persisted persisted) {
                  closed(id, persisted.state()); // not waited for: see quiesce
                }
              });
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
      // Named unfinished before it is accepted; again on resume, for a job the index lost.
      this.<org.apache.pekko.Done, JobIndex.Command>ask(
          index(), replyTo -> new JobIndex.Open(id, replyTo), "build " + id);
      if (resume) {
        JobState state = ask(actor, BuildJob.Get::new, "build " + id);
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
        BuildJob.Reply reply =
            ask(actor, replyTo -> new BuildJob.Accept(accepted, replyTo), "build " + id);
        if (reply instanceof BuildJob.Refused refused) {
          throw new IOException("the job of build " + id + " was refused: " + refused.why());
        }
      }
      return new Open(id, actor);
    } catch (IOException | RuntimeException e) {
      actor.tell(BuildJob.Stop.INSTANCE);
      throw e;
    }
  }

  /**
   * Ends build {@code id}'s unfinished job with {@code end} without running it (a build that cannot
   * resume); throws if the journal refuses.
   */
  public void end(BuildId id, JobEvent end) throws IOException {
    ActorRef<BuildJob.Command> actor =
        system.systemActorOf(BuildJob.create(id), "job-" + id.value(), Props.empty());
    BuildJob.Reply reply = await(new Open(id, actor).end(end), "build " + id);
    if (reply instanceof BuildJob.Refused refused) {
      throw new IOException("cannot end the job of build " + id + ": " + refused.why());
    }
  }

  /**
   * The ids of the builds this journal names, oldest first (ids sort by time): those with a job,
   * and those only looked up ({@link #read} of an unknown id leaves its name behind).
   */
  public java.util.List<BuildId> ids() throws IOException {
    java.util.List<String> names = persistenceIds();
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

  /** Every persistence id of the journal. */
  private java.util.List<String> persistenceIds() throws IOException {
    var journal =
        org.apache.pekko.persistence.query.PersistenceQuery.get(system)
            .getReadJournalFor(
                org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery.class,
                system.settings().config().getString(READ_JOURNAL));
    try {
      return journal
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
  }

  /** Whether the journal is shared with other nodes (each with an index of its own). */
  public boolean shared() {
    return !scope().isEmpty();
  }

  /**
   * The other nodes ({@code HOST:PORT}) whose index in this shared journal names build {@code id}
   * as unfinished: the coordinator that runs it, or ran it until it died; none in a node's own
   * journal.
   */
  public java.util.List<String> othersHolding(BuildId id) throws IOException {
    java.util.List<String> holders = new java.util.ArrayList<>();
    if (!shared()) {
      return holders;
    }
    String prefix = JobIndex.PERSISTENCE_ID + "@";
    for (String name : persistenceIds()) {
      if (name.startsWith(prefix) && !name.equals(JobIndex.PERSISTENCE_ID + scope())) {
        String node = name.substring(prefix.length());
        ActorRef<JobIndex.Command> other = otherIndex(node);
        try {
          if (this.<JobIndex.State, JobIndex.Command>ask(other, JobIndex.Get::new, "index " + name)
              .open()
              .contains(id)) {
            holders.add(node);
          }
        } finally {
          other.tell(JobIndex.Stop.INSTANCE);
        }
      }
    }
    return holders;
  }

  /**
   * Lets the index of {@code node}, a node that has left the cluster, forget build {@code id},
   * whose job this node takes over: restarted, that node does not resume it. Never for a node that
   * is still up, whose own index actor would then write over this one's event.
   */
  public void release(BuildId id, String node) throws IOException {
    ActorRef<JobIndex.Command> other = otherIndex(node);
    try {
      this.<org.apache.pekko.Done, JobIndex.Command>ask(
          other, replyTo -> new JobIndex.Close(id, replyTo), "index of " + node);
    } finally {
      other.tell(JobIndex.Stop.INSTANCE);
    }
  }

  /** An actor of node {@code node}'s index in the shared journal, to stop after use. */
  private ActorRef<JobIndex.Command> otherIndex(String node) {
    return system.systemActorOf(
        JobIndex.create("@" + node), "job-index-of-" + UUID.randomUUID(), Props.empty());
  }

  /** The journaled state of build {@code id}'s job ({@link JobState#NEW} when there is none). */
  public JobState read(BuildId id) throws IOException {
    return await(reading(id), "build " + id);
  }

  /** {@link #read}, answered when the journal has. */
  private CompletionStage<JobState> reading(BuildId id) {
    ActorRef<BuildJob.Command> reader =
        system.systemActorOf(
            BuildJob.create(id), "job-" + id.value() + "-read-" + UUID.randomUUID(), Props.empty());
    return AskPattern.<BuildJob.Command, JobState>ask(
            reader, BuildJob.Get::new, JOURNAL_TIMEOUT, system.scheduler())
        .whenComplete((state, failure) -> reader.tell(BuildJob.Stop.INSTANCE));
  }

  /**
   * The builds the index names as unfinished, oldest first, without reading their jobs: some may
   * have ended or never been accepted (see {@link #unfinished(java.util.Collection)}).
   */
  public java.util.List<BuildId> openIds() throws IOException {
    return ask(index(), JobIndex.Get::new, "the job index").open();
  }

  /**
   * The jobs that have not ended, oldest first, read {@value #READ_PARALLELISM} at a time; the
   * index forgets those it names that have ended or were never accepted.
   */
  public java.util.List<JobState> unfinished() throws IOException {
    return unfinished(openIds());
  }

  /**
   * Those of builds {@code ids}' jobs that have not ended, oldest first, read {@value
   * #READ_PARALLELISM} at a time; the index forgets those that have ended or were never accepted.
   */
  public java.util.List<JobState> unfinished(java.util.Collection<BuildId> ids) throws IOException {
    java.util.List<BuildId> open = new java.util.ArrayList<>(new java.util.TreeSet<>(ids));
    java.util.List<JobState> states =
        await(
            org.apache.pekko.stream.javadsl.Source.from(open)
                .mapAsync(READ_PARALLELISM, this::reading)
                .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), system),
            "the unfinished jobs");
    java.util.List<JobState> unfinished = new java.util.ArrayList<>();
    for (int i = 0; i < states.size(); i++) {
      if (states.get(i).status() == JobState.Status.RUNNING) {
        unfinished.add(states.get(i));
      } else {
        closed(open.get(i), states.get(i));
      }
    }
    return unfinished;
  }

  /** Erases the ended jobs whose retention is over now (a failure is logged, and retried). */
  public void eraseDue() throws IOException {
    closingsWritten(); // the jobs just ended are in the history
    this.<org.apache.pekko.Done, JobHistory.Command>ask(
        history(), JobHistory.EraseDue::new, "the job history");
  }

  /** The ended jobs kept, oldest first, from the history (no job is read). */
  public java.util.List<JobSummary> ended() throws IOException {
    return ask(history(), JobHistory.Get::new, "the job history").ended();
  }

  /**
   * Every job kept, oldest first: the ended ones from the history (without reading each), the
   * unfinished ones as {@link #unfinished} finds them.
   */
  public java.util.List<JobSummary> list() throws IOException {
    java.util.List<JobState> unfinished = unfinished();
    closingsWritten(); // those it found ended, and those just ended, are in the history
    java.util.List<JobSummary> all = new java.util.ArrayList<>(ended());
    for (JobState job : unfinished) {
      JobSummary.of(job).ifPresent(all::add);
    }
    all.sort(java.util.Comparator.comparing(job -> job.build().value()));
    return all;
  }

  private <T, C> T ask(
      ActorRef<C> actor, org.apache.pekko.japi.function.Function<ActorRef<T>, C> message, Object id)
      throws IOException {
    return await(AskPattern.ask(actor, message, JOURNAL_TIMEOUT, system.scheduler()), id);
  }

  /** Waits for the journal's answer about {@code what}. */
  private static <T> T await(CompletionStage<T> answer, Object what) throws IOException {
    try {
      return answer.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the journal answered for " + what, e);
    } catch (ExecutionException e) {
      throw new IOException(
          "the journal did not answer for " + what + ": " + e.getCause().getMessage(), e);
    }
  }
}

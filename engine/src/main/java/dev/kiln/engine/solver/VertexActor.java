package dev.kiln.engine.solver;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.GraphJson;
import dev.kiln.engine.graph.Input;
import dev.kiln.engine.graph.Op;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.run.RunContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArraySet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One vertex of the graph, shared by every build that needs it. It works in two phases. Key: on the
 * first request it asks its inputs for their cache keys (never their results) and computes its op's
 * cache digest in parallel, then looks its key up in the cache. Result: only when asked for its
 * outputs and the lookup missed does it ask its inputs for their results, wait for an execution
 * slot, run the op and record the outputs. So a hit near the top of a graph never materialises the
 * vertices below it. Every requester gets the same reply. Stopping the actor (no build wants it any
 * more) cancels work in flight.
 */
public final class VertexActor extends AbstractBehavior<VertexActor.Command> {
  /** The protocol. */
  public sealed interface Command
      permits ResolveKey,
          Resolve,
          InputReplied,
          CacheDigestComputed,
          CacheLookedUp,
          HitLoaded,
          SlotGranted,
          Executed,
          Recorded,
          ClaimAnswered,
          LeaderProgress,
          LeaderStopped {}

  /** Asks for this vertex's cache key only; {@code progress} receives its events. */
  public record ResolveKey(ActorRef<Reply> replyTo, ActorRef<ProgressEvent> progress)
      implements Command {}

  /** Asks for this vertex's outputs; {@code progress} receives its events. */
  public record Resolve(ActorRef<Reply> replyTo, ActorRef<ProgressEvent> progress)
      implements Command {}

  private record InputReplied(Reply reply) implements Command {}

  private record CacheDigestComputed(String digest, Throwable failure) implements Command {}

  private record CacheLookedUp(Optional<ResultCache.Hit> hit, Throwable failure)
      implements Command {}

  private record HitLoaded(List<Result> outputs, Throwable failure) implements Command {}

  private enum SlotGranted implements Command {
    INSTANCE
  }

  private record Executed(List<Result> outputs, Throwable failure) implements Command {}

  private record Recorded(List<Result> outputs, Throwable failure) implements Command {}

  private record ClaimAnswered(RunningKeys.Claimed claimed) implements Command {}

  private record LeaderProgress(ProgressEvent event) implements Command {}

  private enum LeaderStopped implements Command {
    INSTANCE
  }

  /** The answer to {@link ResolveKey} and {@link Resolve}. */
  public sealed interface Reply permits Keyed, Done, Failed {
    Digest vertex();
  }

  /**
   * The vertex's cache key (the answer to {@link ResolveKey}); {@code uncached} when it or a vertex
   * below it ignores the cache, so the vertices above run too rather than reuse a result made from
   * the old one.
   */
  public record Keyed(Digest vertex, CacheKey key, boolean uncached) implements Reply {}

  /** The vertex's outputs and the cache key they are recorded under. */
  public record Done(Digest vertex, CacheKey key, List<Result> outputs, boolean uncached)
      implements Reply {}

  /** The vertex, or one of the vertices it needs, failed. */
  public record Failed(Digest vertex, SolveError error) implements Reply {}

  private enum State {
    IDLE,
    KEYING,
    LOOKING_UP,
    KEYED,
    KEYED_HIT,
    LOADING,
    CLAIMING,
    FOLLOWING,
    RESOLVING_INPUTS,
    QUEUED,
    RUNNING,
    /** Ran; its cache record is being written, and it is done once the record is durable. */
    RECORDING,
    FINISHED
  }

  private final Digest digest;
  private final Vertex vertex;
  private final OpRunner runner;
  private final List<ActorRef<Command>> inputs;
  private final ActorRef<ExecutionSlots.Command> slots;
  private final long build;
  private final ResultCache cache;
  private final ActorRef<RunningKeys.Command> runningKeys;
  private final String scope;
  private Optional<RunningKeys.Owner> leader = Optional.empty();
  private boolean owner;
  private final List<ActorRef<Reply>> keySubscribers = new ArrayList<>();
  private final List<ActorRef<Reply>> subscribers = new ArrayList<>();
  private final Set<ActorRef<ProgressEvent>> listeners = new CopyOnWriteArraySet<>();
  private final ActorRef<Reply> inputAdapter;
  private final ActorRef<ExecutionSlots.Granted> slotAdapter;
  private final ActorRef<RunningKeys.Claimed> claimAdapter;
  private final ActorRef<ProgressEvent> leaderAdapter;
  private final Cancellation cancellation = new Cancellation();

  private State state = State.IDLE;
  private final CacheKey[] inputKeys;
  private final Done[] inputResults;
  private int missing;
  private Optional<String> cacheDigest = Optional.empty();
  private Optional<CacheKey> key = Optional.empty();
  private Optional<ResultCache.Hit> hit = Optional.empty();
  private boolean uncached;
  private Optional<Reply> outcome = Optional.empty();
  private Instant startedAt = Instant.EPOCH;
  private final VertexLogs logs;
  private final Nesting nesting;
  private boolean digestAsked;
  private boolean holdsSlot;

  /** How many vertices at the most follow this one in the build that spawned it (CriticalPath). */
  private final int priority;

  public static Behavior<Command> create(
      Digest digest,
      Vertex vertex,
      OpRunner runner,
      List<ActorRef<Command>> inputs,
      ActorRef<ExecutionSlots.Command> slots,
      long build,
      int priority,
      ResultCache cache,
      ActorRef<RunningKeys.Command> runningKeys,
      String scope,
      ActorRef<Solver.Command> solver,
      List<NestFrame> chain) {
    return Behaviors.setup(
        context ->
            new VertexActor(
                context,
                digest,
                vertex,
                runner,
                inputs,
                slots,
                build,
                priority,
                cache,
                runningKeys,
                scope,
                solver,
                chain));
  }

  private VertexActor(
      ActorContext<Command> context,
      Digest digest,
      Vertex vertex,
      OpRunner runner,
      List<ActorRef<Command>> inputs,
      ActorRef<ExecutionSlots.Command> slots,
      long build,
      int priority,
      ResultCache cache,
      ActorRef<RunningKeys.Command> runningKeys,
      String scope,
      ActorRef<Solver.Command> solver,
      List<NestFrame> chain) {
    super(context);
    this.priority = priority;
    this.nesting =
        new NestedSolves(solver, context.getSystem().scheduler(), chain, build, this::emit);
    this.runningKeys = runningKeys;
    this.scope = scope;
    this.build = build;
    this.digest = digest;
    this.vertex = vertex;
    this.runner = runner;
    this.inputs = List.copyOf(inputs);
    this.slots = slots;
    this.cache = cache;
    this.inputKeys = new CacheKey[inputs.size()];
    this.inputResults = new Done[inputs.size()];
    this.inputAdapter = context.messageAdapter(Reply.class, InputReplied::new);
    this.slotAdapter =
        context.messageAdapter(ExecutionSlots.Granted.class, g -> SlotGranted.INSTANCE);
    this.claimAdapter = context.messageAdapter(RunningKeys.Claimed.class, ClaimAnswered::new);
    this.leaderAdapter = context.messageAdapter(ProgressEvent.class, LeaderProgress::new);
    this.logs = new VertexLogs(digest, listeners);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ResolveKey.class, this::onResolveKey)
        .onMessage(Resolve.class, this::onResolve)
        .onMessage(InputReplied.class, this::onInputReplied)
        .onMessage(CacheDigestComputed.class, this::onCacheDigest)
        .onMessage(CacheLookedUp.class, this::onCacheLookedUp)
        .onMessage(HitLoaded.class, this::onHitLoaded)
        .onMessageEquals(SlotGranted.INSTANCE, this::onSlotGranted)
        .onMessage(Executed.class, this::onExecuted)
        .onMessage(Recorded.class, this::onRecorded)
        .onMessage(ClaimAnswered.class, this::onClaimAnswered)
        .onMessage(LeaderProgress.class, this::onLeaderProgress)
        .onMessageEquals(LeaderStopped.INSTANCE, this::onLeaderStopped)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private Behavior<Command> onResolveKey(ResolveKey request) {
    if (outcome.isPresent()) {
      request.replyTo().tell(asKeyReply(outcome.get()));
      return this;
    }
    if (state == State.KEYED || afterKeyed()) {
      request.replyTo().tell(new Keyed(digest, key.orElseThrow(), uncached));
      listen(request.progress());
      return this;
    }
    keySubscribers.add(request.replyTo());
    listen(request.progress());
    return this;
  }

  private Behavior<Command> onResolve(Resolve request) {
    if (outcome.isPresent()) {
      request.replyTo().tell(outcome.get());
      return this;
    }
    subscribers.add(request.replyTo());
    listen(request.progress());
    if (state == State.KEYED) {
      runOrFollow();
    } else if (state == State.KEYED_HIT) {
      loadHit();
    }
    return this;
  }

  /** Adds a build's progress; the first request starts the key phase. */
  private void listen(ActorRef<ProgressEvent> progress) {
    boolean added = listeners.add(progress);
    if (state == State.IDLE) {
      start();
    } else if (added && (state == State.KEYING || state == State.RESOLVING_INPUTS)) {
      // A build that joins late still hears about the inputs still in flight.
      askInputs(progress);
    }
  }

  private boolean afterKeyed() {
    return state.ordinal() > State.KEYED.ordinal() && state != State.FINISHED;
  }

  private void start() {
    state = State.KEYING;
    missing = inputs.size();
    listeners.forEach(this::askInputs);
    if (!runner.keyedByInputs()) {
      getContext()
          .pipeToSelf(
              runner.cacheDigest(new RunContext(logs, cancellation)), CacheDigestComputed::new);
    } else {
      askDigestFromInputs();
    }
  }

  /** An op keyed by its inputs' content is asked for its digest once it has all their results. */
  private void askDigestFromInputs() {
    if (missing > 0 || digestAsked) {
      return;
    }
    digestAsked = true;
    getContext()
        .pipeToSelf(
            runner.cacheDigest(inputOutputs(), new RunContext(logs, cancellation), nesting),
            CacheDigestComputed::new);
  }

  private void askInputs(ActorRef<ProgressEvent> progress) {
    for (ActorRef<Command> input : inputs) {
      input.tell(
          state == State.KEYING && !runner.keyedByInputs()
              ? new ResolveKey(inputAdapter, progress)
              : new Resolve(inputAdapter, progress));
    }
  }

  private Behavior<Command> onInputReplied(InputReplied message) {
    Reply reply = message.reply();
    if (state == State.FOLLOWING) {
      // No input is asked while following: the answer is the leader's.
      return leader.filter(l -> l.digest().equals(reply.vertex())).isPresent()
          ? onFollowed(reply)
          : this;
    }
    if (reply instanceof Failed failed) {
      if (state == State.KEYING || state == State.RESOLVING_INPUTS) {
        finish(failed);
      }
      return this;
    }
    List<Input> declared = vertex.inputs();
    for (int i = 0; i < declared.size(); i++) {
      if (!declared.get(i).vertex().equals(reply.vertex())) {
        continue;
      }
      if (state == State.KEYING && inputKeys[i] == null) {
        Keyed keyed = (Keyed) asKeyReply(reply);
        inputKeys[i] = keyed.key();
        uncached |= keyed.uncached();
        if (reply instanceof Done done) {
          inputResults[i] = done;
        }
        missing--;
      } else if (state == State.RESOLVING_INPUTS
          && reply instanceof Done done
          && inputResults[i] == null) {
        inputResults[i] = done;
        missing--;
        if (missing > 0) {
          runner.inputReady(done.outputs().get(declared.get(i).output()));
        }
      }
    }
    if (state == State.KEYING && runner.keyedByInputs()) {
      askDigestFromInputs();
    }
    if (state == State.KEYING) {
      return lookUpIfKeyed();
    }
    if (state == State.RESOLVING_INPUTS && missing == 0) {
      queue();
    }
    return this;
  }

  private Behavior<Command> onCacheDigest(CacheDigestComputed message) {
    if (state != State.KEYING) {
      return this;
    }
    if (message.failure() != null) {
      fail(message.failure());
      return this;
    }
    cacheDigest = Optional.of(message.digest());
    return lookUpIfKeyed();
  }

  private Behavior<Command> lookUpIfKeyed() {
    if (missing > 0 || cacheDigest.isEmpty()) {
      return this;
    }
    List<CacheKey.InputKey> parts = new ArrayList<>();
    for (int i = 0; i < inputKeys.length; i++) {
      parts.add(new CacheKey.InputKey(inputKeys[i], vertex.inputs().get(i).output()));
    }
    CacheKey computed = CacheKey.of(cacheDigest.get(), parts);
    key = Optional.of(computed);
    uncached |= vertex.meta().ignoreCache();
    if (uncached) {
      return keyed();
    }
    state = State.LOOKING_UP;
    getContext().pipeToSelf(cache.lookup(computed), CacheLookedUp::new);
    return this;
  }

  private Behavior<Command> onCacheLookedUp(CacheLookedUp message) {
    if (state != State.LOOKING_UP) {
      return this;
    }
    // A cache that cannot be read costs the hit, never the build.
    if (message.failure() != null) {
      logs.line(LogStream.STDERR, "warning: cache lookup failed: " + unwrap(message.failure()));
    }
    if (message.failure() == null && message.hit().isPresent()) {
      emit(new ProgressEvent.VertexCached(digest, vertex.name(), key.orElseThrow().digest()));
      hit = message.hit();
      state = State.KEYED_HIT;
      answerKeySubscribers(new Keyed(digest, key.orElseThrow(), false));
      if (!subscribers.isEmpty()) {
        loadHit();
      }
      return this;
    }
    return keyed();
  }

  /** Someone wants the outputs of a hit: fetch them (at once for a local record). */
  private void loadHit() {
    state = State.LOADING;
    getContext().pipeToSelf(hit.orElseThrow().outputs(), HitLoaded::new);
  }

  private Behavior<Command> onHitLoaded(HitLoaded loaded) {
    if (state != State.LOADING) {
      return this;
    }
    if (loaded.failure() == null) {
      finish(new Done(digest, key.orElseThrow(), loaded.outputs(), false));
      return this;
    }
    // A hit that cannot be fetched (a damaged imported layer) costs the hit: the step runs.
    logs.line(LogStream.STDERR, "warning: cache lookup failed: " + unwrap(loaded.failure()));
    resolveInputs();
    return this;
  }

  /** The key is known and nothing is cached under it: run only if someone wants the outputs. */
  private Behavior<Command> keyed() {
    state = State.KEYED;
    emit(
        new ProgressEvent.VertexMissed(
            digest,
            vertex.name(),
            key.orElseThrow().digest(),
            cacheDigest.orElse(""),
            inputKeyParts(),
            uncached));
    answerKeySubscribers(new Keyed(digest, key.orElseThrow(), uncached));
    if (!subscribers.isEmpty()) {
      runOrFollow();
    }
    return this;
  }

  /**
   * The outputs are wanted and not cached: run, unless a vertex of another digest is making the
   * same key's result now, whose result this one then takes (a vertex that ignores the cache runs
   * itself).
   */
  private void runOrFollow() {
    if (owner || uncached) {
      resolveInputs();
      return;
    }
    state = State.CLAIMING;
    runningKeys.tell(
        new RunningKeys.Claim(
            new RunningKeys.Scoped(key.orElseThrow(), scope),
            new RunningKeys.Owner(getContext().getSelf(), digest),
            leader.map(RunningKeys.Owner::vertex),
            claimAdapter));
    leader = Optional.empty();
  }

  private Behavior<Command> onClaimAnswered(ClaimAnswered answer) {
    Optional<RunningKeys.Owner> found = answer.claimed().owner();
    if (state != State.CLAIMING) {
      if (found.isEmpty()) {
        release(); // granted after this vertex stopped wanting it
      }
      return this;
    }
    if (found.isEmpty()) {
      owner = true;
      resolveInputs();
      return this;
    }
    follow(found.get());
    return this;
  }

  /** Takes the result {@code found} makes: its log lines show as this vertex's. */
  private void follow(RunningKeys.Owner found) {
    state = State.FOLLOWING;
    leader = Optional.of(found);
    getContext().watchWith(found.vertex(), LeaderStopped.INSTANCE);
    startedAt = Instant.now();
    logs.markStarted();
    emit(new ProgressEvent.VertexStarted(digest, vertex.name(), startedAt));
    // Its answer comes through the input adapter (one adapter per message class): see
    // onInputReplied.
    found.vertex().tell(new Resolve(inputAdapter, leaderAdapter));
  }

  private Behavior<Command> onLeaderProgress(LeaderProgress progress) {
    if (state == State.FOLLOWING
        && progress.event() instanceof ProgressEvent.VertexLog line
        && leader.filter(l -> l.digest().equals(line.vertex())).isPresent()) {
      emit(new ProgressEvent.VertexLog(digest, line.stream(), line.line(), line.sinceStart()));
    }
    return this;
  }

  private Behavior<Command> onFollowed(Reply reply) {
    getContext().unwatch(leader.orElseThrow().vertex());
    if (reply instanceof Done done) {
      emit(new ProgressEvent.VertexCompleted(digest, vertex.name(), took()));
      finish(new Done(digest, key.orElseThrow(), done.outputs(), uncached));
    } else if (reply instanceof Failed failed) {
      emit(new ProgressEvent.VertexFailed(digest, vertex.name(), failed.error().message(), took()));
      finish(new Failed(digest, failed.error()));
    }
    return this;
  }

  /**
   * The vertex followed stopped before its result came here (its builds ended, maybe before this
   * one's request reached it): its result is likely recorded, so look again, then run or follow
   * anew.
   */
  private Behavior<Command> onLeaderStopped() {
    if (state == State.FOLLOWING && !uncached) {
      state = State.LOOKING_UP;
      getContext().pipeToSelf(cache.lookup(key.orElseThrow()), CacheLookedUp::new);
    } else if (state == State.FOLLOWING) {
      runOrFollow();
    }
    return this;
  }

  private void release() {
    runningKeys.tell(
        new RunningKeys.Release(
            new RunningKeys.Scoped(key.orElseThrow(), scope), getContext().getSelf()));
  }

  private void resolveInputs() {
    state = State.RESOLVING_INPUTS;
    missing = inputs.size();
    java.util.Arrays.fill(inputResults, null);
    if (missing == 0) {
      queue();
      return;
    }
    listeners.forEach(this::askInputs);
  }

  private void queue() {
    state = State.QUEUED;
    if (runner.takesSlot()) {
      slots.tell(new ExecutionSlots.Acquire(slotAdapter, build, priority));
    } else {
      execute();
    }
  }

  private Behavior<Command> onSlotGranted() {
    if (state != State.QUEUED) {
      slots.tell(new ExecutionSlots.Release(slotAdapter));
      return this;
    }
    holdsSlot = true;
    execute();
    return this;
  }

  private void execute() {
    state = State.RUNNING;
    startedAt = Instant.now();
    logs.markStarted();
    emit(new ProgressEvent.VertexStarted(digest, vertex.name(), startedAt));
    getContext()
        .pipeToSelf(
            runner.run(
                inputOutputs(),
                new RunContext(logs, cancellation),
                new OpRunner.Step(key.orElseThrow(), made(), uncached, priority)),
            Executed::new);
  }

  private void releaseSlot() {
    if (holdsSlot) {
      holdsSlot = false;
      slots.tell(new ExecutionSlots.Release(slotAdapter));
    }
  }

  /** The outputs this vertex reads from its inputs, in input order. */
  private List<Result> inputOutputs() {
    List<Result> outputs = new ArrayList<>();
    for (int i = 0; i < inputResults.length; i++) {
      outputs.add(inputResults[i].outputs().get(vertex.inputs().get(i).output()));
    }
    return outputs;
  }

  private Behavior<Command> onExecuted(Executed executed) {
    if (state != State.RUNNING) {
      return this;
    }
    releaseSlot();
    if (executed.failure() != null) {
      fail(executed.failure());
      return this;
    }
    // The outputs are committed; recording them comes last, so a record never names missing data.
    // The vertex is done only once its record is durable: a step that completed, or that a later
    // step built on, is a cache hit after a crash and never runs again (docs/jobs.md).
    state = State.RECORDING;
    List<Result> outputs = executed.outputs();
    getContext()
        .pipeToSelf(
            cache.record(key.orElseThrow(), outputs, made()),
            (done, failure) -> new Recorded(outputs, failure));
    return this;
  }

  /** The record's kind (the op's, with a source's scheme: {@code source.local}) and key parts. */
  private ResultCache.Made made() {
    Op op = vertex.op();
    String kind =
        op instanceof SourceOp source
            ? "source." + source.scheme()
            : op.getClass().getSimpleName().replaceFirst("Op$", "").toLowerCase(Locale.ROOT);
    String json;
    try {
      json = GraphJson.canonical().writeValueAsString(op);
    } catch (JsonProcessingException e) {
      json = "";
    }
    return new ResultCache.Made(kind, vertex.name(), cacheDigest.orElse(""), inputKeyParts(), json);
  }

  private List<String> inputKeyParts() {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < inputKeys.length; i++) {
      parts.add(inputKeys[i].digest() + "#" + vertex.inputs().get(i).output());
    }
    return parts;
  }

  private Behavior<Command> onRecorded(Recorded recorded) {
    if (state != State.RECORDING) {
      return this;
    }
    if (recorded.failure() == null) {
      emit(new ProgressEvent.VertexRecorded(digest, vertex.name(), key.orElseThrow().digest()));
    } else {
      // The result stands; only its reuse by a later build (or a resumed one) is lost.
      logs.line(
          LogStream.STDERR,
          "warning: the cache did not record this step: " + unwrap(recorded.failure()));
    }
    emit(new ProgressEvent.VertexCompleted(digest, vertex.name(), took()));
    finish(new Done(digest, key.orElseThrow(), recorded.outputs(), uncached));
    return this;
  }

  private void fail(Throwable failure) {
    Throwable cause = unwrap(failure);
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    emit(new ProgressEvent.VertexFailed(digest, vertex.name(), message, took()));
    List<String> tail =
        cause instanceof NestedBuildFailed nested ? nested.lastLines() : logs.tail();
    finish(new Failed(digest, new SolveError(digest, vertex.name(), message, tail)));
  }

  private void finish(Reply reply) {
    if (owner) {
      owner = false;
      release();
    }
    state = State.FINISHED;
    outcome = Optional.of(reply);
    subscribers.forEach(s -> s.tell(reply));
    subscribers.clear();
    answerKeySubscribers(asKeyReply(reply));
  }

  private void answerKeySubscribers(Reply reply) {
    keySubscribers.forEach(s -> s.tell(reply));
    keySubscribers.clear();
  }

  private static Reply asKeyReply(Reply reply) {
    return reply instanceof Done done
        ? new Keyed(done.vertex(), done.key(), done.uncached())
        : reply;
  }

  private Behavior<Command> onStop() {
    if (state != State.FINISHED) {
      cancellation.cancel();
    }
    if (state == State.QUEUED && runner.takesSlot()) {
      // The request may still be queued: withdrawing it is idempotent.
      slots.tell(new ExecutionSlots.Release(slotAdapter));
    }
    releaseSlot();
    return this;
  }

  private void emit(ProgressEvent event) {
    listeners.forEach(l -> l.tell(event));
  }

  private Duration took() {
    return startedAt.equals(Instant.EPOCH)
        ? Duration.ZERO
        : Duration.between(startedAt, Instant.now());
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}

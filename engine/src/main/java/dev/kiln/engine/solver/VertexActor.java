package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.Input;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * One vertex of the graph, shared by every build that needs it. On the first {@link Resolve} it
 * asks its inputs for their results and computes its op's cache digest in parallel, then looks up
 * the cache, and on a miss waits for an execution slot and runs the op. Every requester gets the
 * same reply. Stopping the actor (no build wants it any more) cancels work in flight.
 */
public final class VertexActor extends AbstractBehavior<VertexActor.Command> {
  /** The protocol. */
  public sealed interface Command
      permits Resolve, InputReplied, CacheDigestComputed, SlotGranted, Executed {}

  /** Asks for this vertex's outputs; {@code progress} receives its events. */
  public record Resolve(ActorRef<Reply> replyTo, ActorRef<ProgressEvent> progress)
      implements Command {}

  private record InputReplied(Reply reply) implements Command {}

  private record CacheDigestComputed(String digest, Throwable failure) implements Command {}

  private enum SlotGranted implements Command {
    INSTANCE
  }

  private record Executed(List<Result> outputs, Throwable failure) implements Command {}

  /** The answer to {@link Resolve}. */
  public sealed interface Reply permits Done, Failed {
    Digest vertex();
  }

  /** The vertex's outputs and the cache key they are recorded under. */
  public record Done(Digest vertex, CacheKey key, List<Result> outputs) implements Reply {}

  /** The vertex, or one of the vertices it needs, failed. */
  public record Failed(Digest vertex, SolveError error) implements Reply {}

  private enum State {
    IDLE,
    RESOLVING,
    QUEUED,
    RUNNING,
    FINISHED
  }

  private final Digest digest;
  private final Vertex vertex;
  private final OpRunner runner;
  private final List<ActorRef<Command>> inputs;
  private final ActorRef<ExecutionSlots.Command> slots;
  private final ResultCache cache;
  private final List<ActorRef<Reply>> subscribers = new ArrayList<>();
  private final Set<ActorRef<ProgressEvent>> listeners = new CopyOnWriteArraySet<>();
  private final ActorRef<Reply> inputAdapter;
  private final ActorRef<ExecutionSlots.Granted> slotAdapter;
  private final Cancellation cancellation = new Cancellation();

  private State state = State.IDLE;
  private final Done[] inputResults;
  private int inputsMissing;
  private Optional<String> cacheDigest = Optional.empty();
  private Optional<CacheKey> key = Optional.empty();
  private Optional<Reply> outcome = Optional.empty();
  private Instant startedAt = Instant.EPOCH;
  private final VertexLogs logs;

  public static Behavior<Command> create(
      Digest digest,
      Vertex vertex,
      OpRunner runner,
      List<ActorRef<Command>> inputs,
      ActorRef<ExecutionSlots.Command> slots,
      ResultCache cache) {
    return Behaviors.setup(
        context -> new VertexActor(context, digest, vertex, runner, inputs, slots, cache));
  }

  private VertexActor(
      ActorContext<Command> context,
      Digest digest,
      Vertex vertex,
      OpRunner runner,
      List<ActorRef<Command>> inputs,
      ActorRef<ExecutionSlots.Command> slots,
      ResultCache cache) {
    super(context);
    this.digest = digest;
    this.vertex = vertex;
    this.runner = runner;
    this.inputs = List.copyOf(inputs);
    this.slots = slots;
    this.cache = cache;
    this.inputResults = new Done[inputs.size()];
    this.inputAdapter = context.messageAdapter(Reply.class, InputReplied::new);
    this.slotAdapter =
        context.messageAdapter(ExecutionSlots.Granted.class, g -> SlotGranted.INSTANCE);
    this.logs = new VertexLogs(digest, listeners);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Resolve.class, this::onResolve)
        .onMessage(InputReplied.class, this::onInputReplied)
        .onMessage(CacheDigestComputed.class, this::onCacheDigest)
        .onMessageEquals(SlotGranted.INSTANCE, this::onSlotGranted)
        .onMessage(Executed.class, this::onExecuted)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private Behavior<Command> onResolve(Resolve resolve) {
    if (outcome.isPresent()) {
      resolve.replyTo().tell(outcome.get());
      return this;
    }
    subscribers.add(resolve.replyTo());
    if (listeners.add(resolve.progress()) && state != State.IDLE) {
      // A build that joins late still hears about the inputs still in flight.
      inputs.forEach(input -> input.tell(new Resolve(inputAdapter, resolve.progress())));
    }
    if (state == State.IDLE) {
      start(resolve.progress());
    }
    return this;
  }

  private void start(ActorRef<ProgressEvent> progress) {
    state = State.RESOLVING;
    inputsMissing = inputs.size();
    inputs.forEach(input -> input.tell(new Resolve(inputAdapter, progress)));
    getContext()
        .pipeToSelf(
            runner.cacheDigest(new RunContext(logs, cancellation)), CacheDigestComputed::new);
  }

  private Behavior<Command> onInputReplied(InputReplied message) {
    if (state != State.RESOLVING) {
      return this;
    }
    Reply reply = message.reply();
    if (reply instanceof Failed failed) {
      finish(failed);
      return this;
    }
    Done done = (Done) reply;
    List<Input> declared = vertex.inputs();
    for (int i = 0; i < declared.size(); i++) {
      if (declared.get(i).vertex().equals(done.vertex()) && inputResults[i] == null) {
        inputResults[i] = done;
        inputsMissing--;
      }
    }
    return proceedIfReady();
  }

  private Behavior<Command> onCacheDigest(CacheDigestComputed message) {
    if (state != State.RESOLVING) {
      return this;
    }
    if (message.failure() != null) {
      fail(message.failure());
      return this;
    }
    cacheDigest = Optional.of(message.digest());
    return proceedIfReady();
  }

  private Behavior<Command> proceedIfReady() {
    if (inputsMissing > 0 || cacheDigest.isEmpty()) {
      return this;
    }
    List<CacheKey.InputKey> inputKeys = new ArrayList<>();
    for (int i = 0; i < inputResults.length; i++) {
      inputKeys.add(new CacheKey.InputKey(inputResults[i].key(), vertex.inputs().get(i).output()));
    }
    CacheKey computed = CacheKey.of(cacheDigest.get(), inputKeys);
    key = Optional.of(computed);
    Optional<List<Result>> hit =
        vertex.meta().ignoreCache() ? Optional.empty() : cache.lookup(computed);
    if (hit.isPresent()) {
      emit(new ProgressEvent.VertexCached(digest, vertex.name()));
      finish(new Done(digest, computed, hit.get()));
      return this;
    }
    state = State.QUEUED;
    slots.tell(new ExecutionSlots.Acquire(slotAdapter));
    return this;
  }

  private Behavior<Command> onSlotGranted() {
    if (state != State.QUEUED) {
      slots.tell(new ExecutionSlots.Release(slotAdapter));
      return this;
    }
    state = State.RUNNING;
    startedAt = Instant.now();
    logs.markStarted();
    emit(new ProgressEvent.VertexStarted(digest, vertex.name(), startedAt));
    List<Result> inputOutputs = new ArrayList<>();
    for (int i = 0; i < inputResults.length; i++) {
      inputOutputs.add(inputResults[i].outputs().get(vertex.inputs().get(i).output()));
    }
    getContext()
        .pipeToSelf(runner.run(inputOutputs, new RunContext(logs, cancellation)), Executed::new);
    return this;
  }

  private Behavior<Command> onExecuted(Executed executed) {
    if (state != State.RUNNING) {
      return this;
    }
    slots.tell(new ExecutionSlots.Release(slotAdapter));
    if (executed.failure() != null) {
      fail(executed.failure());
      return this;
    }
    cache.record(key.orElseThrow(), executed.outputs());
    emit(new ProgressEvent.VertexCompleted(digest, vertex.name(), took()));
    finish(new Done(digest, key.orElseThrow(), executed.outputs()));
    return this;
  }

  private void fail(Throwable failure) {
    Throwable cause = unwrap(failure);
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    emit(new ProgressEvent.VertexFailed(digest, vertex.name(), message, took()));
    finish(new Failed(digest, new SolveError(digest, vertex.name(), message, logs.tail())));
  }

  private void finish(Reply reply) {
    state = State.FINISHED;
    outcome = Optional.of(reply);
    subscribers.forEach(s -> s.tell(reply));
    subscribers.clear();
  }

  private Behavior<Command> onStop() {
    if (state != State.FINISHED) {
      cancellation.cancel();
    }
    if (state == State.QUEUED || state == State.RUNNING) {
      slots.tell(new ExecutionSlots.Release(slotAdapter));
    }
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

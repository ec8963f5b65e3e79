package dev.kiln.engine.placement;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.GraphJson;
import dev.kiln.engine.graph.Op;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.graph.VertexMeta;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.engine.solver.ExecutionSlots;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Resolver;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.solver.ResultCache;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.engine.worker.Unchecked;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One placed step on a worker: a result this node recorded under the step's key is answered as it
 * is (unless the step ignores the cache); otherwise, with the inputs' layers made local (while the
 * cache was asked), an execution slot of this node is taken, the op runs with its output streamed
 * to the coordinator, and the result is recorded here before it is answered.
 */
final class StepRun extends AbstractBehavior<StepRun.Command> {
  /** What a worker's steps use. */
  record Services(
      Resolver worker,
      ResultCache cache,
      LayerStore layers,
      ActorRef<ExecutionSlots.Command> slotActor,
      String node,
      int slots,
      Executor io) {}

  sealed interface Command permits LookedUp, Localized, Granted, Executed, Answered {}

  private record LookedUp(Optional<List<Result>> hit, Throwable failure) implements Command {}

  private record Localized(List<Result> inputs, Throwable failure) implements Command {}

  private enum Granted implements Command {
    INSTANCE
  }

  private record Executed(List<Result> outputs, Throwable failure) implements Command {}

  private record Answered(StepEvent event, Throwable failure) implements Command {}

  private final StepWorker.RunStep run;
  private final StepRequest request;
  private final Services services;
  private final CacheKey key;
  private final Cancellation cancellation = new Cancellation();
  private final ActorRef<ExecutionSlots.Granted> slotAdapter;
  private Optional<Localized> local = Optional.empty();
  private boolean missed;
  private boolean queued;
  private boolean holdsSlot;

  static Behavior<Command> create(StepWorker.RunStep run, Services services) {
    return Behaviors.setup(context -> new StepRun(context, run, services));
  }

  private StepRun(ActorContext<Command> context, StepWorker.RunStep run, Services services) {
    super(context);
    this.run = run;
    this.request = run.request();
    this.services = services;
    this.key = new CacheKey(Digest.parse(request.key()));
    this.slotAdapter = context.messageAdapter(ExecutionSlots.Granted.class, g -> Granted.INSTANCE);
    CompletionStage<Optional<List<Result>>> hit =
        (request.uncached()
                ? CompletableFuture.completedFuture(Optional.<ResultCache.Hit>empty())
                : services.cache().lookup(key))
            .thenCompose(
                found ->
                    found.isEmpty()
                        ? CompletableFuture.completedFuture(Optional.empty())
                        : found.get().outputs().thenApply(Optional::of));
    context.pipeToSelf(hit, LookedUp::new);
    // The inputs are made local while the cache is asked, not after: a miss then goes straight
    // to a slot. A hit seldom wastes a fetch: this node had the inputs when it made the step.
    request.dataUrls().forEach(services.layers()::know);
    context.pipeToSelf(
        CompletableFuture.supplyAsync(
            () -> {
              List<Result> local = new ArrayList<>();
              for (SnapshotRef input : request.inputs()) {
                local.add(new SnapshotResult(Unchecked.get(() -> services.layers().local(input))));
              }
              return local;
            },
            services.io()),
        Localized::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(LookedUp.class, this::onLookedUp)
        .onMessage(Localized.class, this::onLocalized)
        .onMessageEquals(Granted.INSTANCE, this::onGranted)
        .onMessage(Executed.class, this::onExecuted)
        .onMessage(Answered.class, this::onAnswered)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private Behavior<Command> onLookedUp(LookedUp looked) {
    if (looked.failure() == null && looked.hit().isPresent()) {
      answer(looked.hit().get(), false);
      return this;
    }
    missed = true;
    return queueWhenReady();
  }

  private Behavior<Command> onLocalized(Localized localized) {
    this.local = Optional.of(localized);
    return queueWhenReady();
  }

  /**
   * Missed in the cache with its inputs local, the step waits for a slot (an input that could not
   * be made local fails it); a hit is answered whatever became of the inputs.
   */
  private Behavior<Command> queueWhenReady() {
    if (!missed || local.isEmpty() || queued) {
      return this;
    }
    if (local.get().failure() != null) {
      return failed(local.get().failure());
    }
    queued = true;
    // Steps of one coordinator share this node's slots fairly with its other coordinators; its
    // own go in its critical-path order.
    services
        .slotActor()
        .tell(
            new ExecutionSlots.Acquire(
                slotAdapter, run.replyTo().path().toString().hashCode(), run.priority()));
    return this;
  }

  private Behavior<Command> onGranted() {
    queued = false;
    holdsSlot = true;
    run.replyTo().tell(new StepEvent.StepStarted(run.stepId()));
    OpRunner runner;
    try {
      Op op = GraphJson.mapper().readValue(request.opJson(), Op.class);
      runner =
          services
              .worker()
              .resolve(
                  Digest.parse(request.opDigest()),
                  new Vertex(op, List.of(), VertexMeta.EMPTY.withDescription(request.name())),
                  BuildInputs.NONE);
    } catch (Exception e) {
      return failed(e);
    }
    RunContext context =
        new RunContext(
            (stream, line) -> run.replyTo().tell(new StepEvent.StepLog(run.stepId(), stream, line)),
            cancellation);
    getContext().pipeToSelf(runner.run(local.get().inputs(), context), Executed::new);
    return this;
  }

  private Behavior<Command> onExecuted(Executed executed) {
    release();
    if (executed.failure() != null) {
      return failed(executed.failure());
    }
    // Recorded here before it is answered: the layers are then this node's cache, kept by it.
    // The output is named for the coordinator meanwhile.
    ResultCache.Made made =
        new ResultCache.Made(
            "exec", request.name(), request.opDigest(), request.inputKeys(), request.opJson());
    List<Result> outputs = executed.outputs();
    getContext()
        .pipeToSelf(
            services
                .cache()
                .record(key, outputs, made)
                .thenCombine(done(outputs, true), (r, e) -> e),
            Answered::new);
    return this;
  }

  private void answer(List<Result> outputs, boolean ran) {
    getContext().pipeToSelf(done(outputs, ran), Answered::new);
  }

  private CompletionStage<StepEvent> done(List<Result> outputs, boolean ran) {
    return CompletableFuture.supplyAsync(
        () ->
            new StepEvent.StepDone(
                run.stepId(), Unchecked.get(() -> services.layers().refs(outputs.get(0))), ran),
        services.io());
  }

  private Behavior<Command> onAnswered(Answered answered) {
    if (answered.failure() != null) {
      return failed(answered.failure());
    }
    run.replyTo().tell(answered.event());
    return Behaviors.stopped();
  }

  private Behavior<Command> failed(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    run.replyTo().tell(new StepEvent.StepFailed(run.stepId(), message));
    return Behaviors.stopped();
  }

  private void release() {
    if (holdsSlot || queued) {
      holdsSlot = false;
      queued = false;
      services.slotActor().tell(new ExecutionSlots.Release(slotAdapter));
    }
  }

  private Behavior<Command> onStop() {
    cancellation.cancel();
    release();
    return this;
  }
}

package dev.kiln.engine.placement;

import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.worker.Unchecked;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * An exec step run wherever {@link Placement} puts it: its inputs travel as {@link LayerRef}s and
 * its output stays on the worker as a {@link PlacedSnapshot}. The worker's slots bound it, not this
 * node's.
 */
final class PlacedRunner implements OpRunner {
  private final OpRunner here;
  private final ActorRef<Placement.Command> placement;
  private final LayerStore layers;
  private final ActorRef<StepClaims.Command> claims;
  private final Lineage lineage;
  private final Executor io;

  PlacedRunner(
      OpRunner here,
      ActorRef<Placement.Command> placement,
      ActorRef<StepClaims.Command> claims,
      Lineage lineage,
      LayerStore layers,
      Executor io) {
    this.here = here;
    this.placement = placement;
    this.claims = claims;
    this.lineage = lineage;
    this.layers = layers;
    this.io = io;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return here.cacheDigest(context);
  }

  @Override
  public boolean takesSlot() {
    return false;
  }

  /** Without the step's key nothing can be placed: the step runs here. */
  @Override
  public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
    return here.run(inputs, context);
  }

  /**
   * The step is claimed in the cluster first ({@link SharedStep}): another coordinator's build may
   * run it or have run it. A step that ignores the cache is not shared: it runs for this build. The
   * claim travels while the inputs are named on the I/O dispatcher, so neither waits for the other.
   */
  @Override
  public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context, Step step) {
    String stepId = UUID.randomUUID().toString();
    if (step.uncached()) {
      return CompletableFuture.supplyAsync(() -> request(inputs, step), io)
          .thenCompose(named -> place(stepId, named, context, step.priority()))
          .thenApply(List::of);
    }
    CompletableFuture<Optional<SharedOutput>> claim = claim(stepId, step, context);
    CompletableFuture<StepRequest> request =
        CompletableFuture.supplyAsync(() -> request(inputs, step), io);
    return claimed(stepId, claim, request, context, step.priority()).thenApply(List::of);
  }

  private StepRequest request(List<Result> inputs, Step step) {
    List<SnapshotRef> refs = new ArrayList<>();
    for (Result input : inputs) {
      refs.add(Unchecked.get(() -> layers.refs(input)));
    }
    return new StepRequest(
        step.made().description(),
        step.made().op(),
        step.made().opDigest(),
        step.key().digest().value(),
        step.made().inputs(),
        step.uncached(),
        refs,
        java.util.Map.of());
  }

  private CompletableFuture<Optional<SharedOutput>> claim(
      String stepId, Step step, RunContext context) {
    CompletableFuture<Optional<SharedOutput>> claimed = new CompletableFuture<>();
    claims.tell(new StepClaims.Ask(stepId, step.key().digest().value(), claimed));
    context.cancellation().onCancel(() -> claims.tell(new StepClaims.Release(stepId)));
    return claimed;
  }

  private CompletableFuture<PlacedSnapshot> claimed(
      String stepId,
      CompletableFuture<Optional<SharedOutput>> claimed,
      CompletableFuture<StepRequest> named,
      RunContext context,
      int priority) {
    // Inputs that cannot be named fail the step: its claim is given up for another to take.
    named.whenComplete(
        (request, failure) -> {
          if (failure != null) {
            claims.tell(new StepClaims.Release(stepId));
          }
        });
    return named.thenCompose(
        request ->
            claimed.thenCompose(
                shared -> {
                  if (shared.isPresent()) {
                    shared.get().dataUrls().forEach(layers::learn);
                    lineage.made(request, shared.get().ref());
                    context
                        .logs()
                        .line(
                            LogStream.STDERR,
                            "run by another build of the cluster; its output is held by "
                                + shared.get().ref().heldBy());
                    return CompletableFuture.completedFuture(
                        new PlacedSnapshot(shared.get().ref()));
                  }
                  return place(stepId, request, context, priority)
                      .whenComplete(
                          (output, failure) ->
                              claims.tell(
                                  failure == null
                                      ? new StepClaims.Finish(
                                          stepId, new SharedOutput(output.ref(), layers.urls()))
                                      : new StepClaims.Release(stepId)));
                }));
  }

  /**
   * Places the step with its lost inputs made again; if it fails once an input was lost meanwhile
   * (the node it was to be fetched from left), it is placed once more.
   */
  private CompletableFuture<PlacedSnapshot> place(
      String stepId, StepRequest request, RunContext context, int priority) {
    return lineage
        .available(request, context.logs())
        .thenCompose(available -> placeOnce(stepId, available, context, priority))
        .exceptionallyCompose(
            failure -> {
              if (failure instanceof java.util.concurrent.CompletionException wrapped
                  && wrapped.getCause() != null) {
                failure = wrapped.getCause();
              }
              if (failure instanceof PlacedStepFailed
                  && request.inputs().stream().anyMatch(lineage::lost)) {
                return lineage
                    .available(request, context.logs())
                    .thenCompose(
                        again -> placeOnce(UUID.randomUUID().toString(), again, context, priority));
              }
              return CompletableFuture.failedFuture(failure);
            });
  }

  private CompletableFuture<PlacedSnapshot> placeOnce(
      String stepId, StepRequest request, RunContext context, int priority) {
    CompletableFuture<PlacedSnapshot> done = new CompletableFuture<>();
    placement.tell(new Placement.Place(stepId, request, context.logs(), done, priority));
    context.cancellation().onCancel(() -> placement.tell(new Placement.Withdraw(stepId)));
    return done.thenApply(
        output -> {
          lineage.made(request, output.ref());
          return output;
        });
  }
}

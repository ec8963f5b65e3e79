package dev.kiln.engine.placement;

import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.worker.Unchecked;
import java.util.ArrayList;
import java.util.List;
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
  private final Executor io;

  PlacedRunner(
      OpRunner here, ActorRef<Placement.Command> placement, LayerStore layers, Executor io) {
    this.here = here;
    this.placement = placement;
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

  @Override
  public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context, Step step) {
    String stepId = UUID.randomUUID().toString();
    CompletableFuture<PlacedSnapshot> done = new CompletableFuture<>();
    CompletableFuture.supplyAsync(
            () -> {
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
            },
            io)
        .whenComplete(
            (request, failure) -> {
              if (failure != null) {
                done.completeExceptionally(failure);
                return;
              }
              placement.tell(new Placement.Place(stepId, request, context.logs(), done));
              context.cancellation().onCancel(() -> placement.tell(new Placement.Withdraw(stepId)));
            });
    return done.thenApply(List::of);
  }
}

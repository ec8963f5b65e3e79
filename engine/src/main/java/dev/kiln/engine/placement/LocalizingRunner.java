package dev.kiln.engine.placement;

import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.solver.Nesting;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** Runs an op on this node, first fetching the inputs other nodes of the cluster made. */
final class LocalizingRunner implements OpRunner {
  private final OpRunner delegate;
  private final LayerStore layers;
  private final Lineage lineage;
  private final Executor io;

  LocalizingRunner(OpRunner delegate, LayerStore layers, Lineage lineage, Executor io) {
    this.delegate = delegate;
    this.layers = layers;
    this.lineage = lineage;
    this.io = io;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return delegate.cacheDigest(context);
  }

  @Override
  public boolean keyedByInputs() {
    return delegate.keyedByInputs();
  }

  @Override
  public CompletionStage<String> cacheDigest(
      List<Result> inputs, RunContext context, Nesting nesting) {
    return local(inputs, context)
        .thenCompose(local -> delegate.cacheDigest(local, context, nesting));
  }

  @Override
  public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
    return local(inputs, context).thenCompose(local -> delegate.run(local, context));
  }

  @Override
  public boolean takesSlot() {
    return delegate.takesSlot();
  }

  /**
   * Starts fetching an input made on another node while the others are awaited: the run finds it
   * fetched (or being fetched, and waits for that one fetch).
   */
  @Override
  public void inputReady(Result input) {
    if (input instanceof PlacedSnapshot) {
      CompletableFuture.runAsync(
          () -> {
            try {
              layers.local(input);
            } catch (java.io.IOException e) {
              // The run fetches it again and reports what fails.
            }
          },
          io);
    }
  }

  private CompletionStage<List<Result>> local(List<Result> inputs, RunContext context) {
    List<CompletableFuture<Result>> local = new ArrayList<>();
    for (Result input : inputs) {
      local.add(lineage.local(input, context.logs()));
    }
    return CompletableFuture.allOf(local.toArray(CompletableFuture[]::new))
        .thenApply(done -> local.stream().map(CompletableFuture::join).toList());
  }
}

package dev.kiln.engine.worker;

import dev.kiln.engine.graph.BuildOp;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.NestedBuildFailed;
import dev.kiln.engine.solver.Nesting;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.solver.SolveError;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A build op: reads the nested definition from input 0 and solves it as part of the running build.
 * Its cache key is the nested root's (with the definition file's): the nested build runs while the
 * key is computed, each of its steps a cache hit when nothing changed, and the op's result is the
 * nested root's. So a nested build that reads a changed local context is never a stale hit.
 */
final class BuildRunner implements OpRunner {
  private final BuildOp op;
  private final Vertex vertex;
  private final BuildInputs build;
  private final BlockingPool pool;
  private final AtomicReference<Result> solved = new AtomicReference<>();

  BuildRunner(BuildOp op, Vertex vertex, BuildInputs build, BlockingPool pool) {
    this.op = op;
    this.vertex = vertex;
    this.build = build;
    this.pool = pool;
  }

  @Override
  public boolean keyedByInputs() {
    return true;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return CompletableFuture.failedFuture(
        new IllegalStateException("a build op is keyed by its input's content"));
  }

  @Override
  public CompletionStage<String> cacheDigest(
      List<Result> inputs, RunContext context, Nesting nesting) {
    String label = op.definitionPath().replaceFirst("^/+", "");
    return pool.supply(() -> definition(inputs, label))
        .thenCompose(definition -> nesting.solve(definition, label, build, context.cancellation()))
        .thenApply(outcome -> keyOf(outcome, label));
  }

  private Definition definition(List<Result> inputs, String label) throws Exception {
    if (inputs.isEmpty()) {
      throw new dev.kiln.engine.graph.InvalidDefinitionException(
          "a build op needs an input that holds " + op.definitionPath());
    }
    Definition definition =
        NestedDefinition.read(
            ((SnapshotResult) inputs.get(0)).snapshot(), op.definitionPath(), label);
    // --no-cache reaches the nested build too.
    return vertex.meta().ignoreCache() ? definition.ignoringCache() : definition;
  }

  private String keyOf(Outcome outcome, String label) {
    if (outcome instanceof Outcome.SolveFailed failed) {
      SolveError error = failed.error();
      throw new NestedBuildFailed(
          "nested build " + label + ": [" + error.name() + "]: " + error.message(),
          error.lastLines());
    }
    Outcome.Solved done = (Outcome.Solved) outcome;
    solved.set(done.result());
    return "build@" + done.key().digest().value();
  }

  @Override
  public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
    Result result = solved.get();
    return result == null
        ? CompletableFuture.failedFuture(
            new IllegalStateException("the nested build has not been solved"))
        : CompletableFuture.completedFuture(List.of(result));
  }
}

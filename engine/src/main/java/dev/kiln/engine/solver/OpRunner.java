package dev.kiln.engine.solver;

import dev.kiln.engine.run.RunContext;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Runs one vertex's op. Both methods return at once; blocking work runs on the worker's own
 * dispatcher and completes the stage from there.
 */
public interface OpRunner {
  /**
   * What stands for the op itself in its cache key: the vertex digest for most ops, the checksum of
   * the selected content for local sources, the resolved manifest digest for images.
   */
  CompletionStage<String> cacheDigest(RunContext context);

  /** Runs the op on its inputs' results (in input order); completes with its outputs. */
  CompletionStage<List<Result>> run(List<Result> inputs, RunContext context);

  /**
   * Runs the op as {@link #run(List, RunContext)} does, knowing the step it is: a runner that hands
   * the op to another node sends its key along, so that the node records and reuses the result.
   */
  default CompletionStage<List<Result>> run(List<Result> inputs, RunContext context, Step step) {
    return run(inputs, context);
  }

  /**
   * An input's output that {@link #run} will read has arrived while others are still awaited: a
   * runner may start preparing it (fetching it from another node) meanwhile. Must not block.
   */
  default void inputReady(Result input) {}

  /**
   * What the solver knows of a step when it runs it: its cache key, what made it, whether it
   * ignores the cache (no result recorded under the key may stand in for running it), and its
   * priority (how many vertices follow it at the most: higher runs first where steps wait).
   */
  record Step(CacheKey key, ResultCache.Made made, boolean uncached, int priority) {}

  /**
   * False for a runner that finds its execution slot elsewhere (a worker of the cluster, which
   * bounds its own steps): the solver then runs it without taking one of this node's.
   */
  default boolean takesSlot() {
    return true;
  }

  /**
   * True for an op whose cache key depends on what its inputs hold, not only on their keys: a build
   * op, keyed by the nested definition it reads. The solver then gives it its inputs' results
   * before asking for its key, through {@link #cacheDigest(List, RunContext, Nesting)}.
   */
  default boolean keyedByInputs() {
    return false;
  }

  /**
   * The cache digest of an op {@link #keyedByInputs keyed by its inputs}, from their results; it
   * may solve nested builds with {@code nesting}, and its run may use what it found.
   */
  default CompletionStage<String> cacheDigest(
      List<Result> inputs, RunContext context, Nesting nesting) {
    return cacheDigest(context);
  }
}

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
}

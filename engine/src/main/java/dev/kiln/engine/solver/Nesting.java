package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.run.Cancellation;
import java.util.concurrent.CompletionStage;

/**
 * Solves a definition as part of the build a vertex runs in: a build op's nested build. It shares
 * the build's cache, dedup and execution slots, and its progress shows under the vertex.
 */
public interface Nesting {
  /**
   * Solves {@code definition}, read from {@code label} (a path, naming the nested build in progress
   * and errors), with the build's {@code inputs}; {@code cancellation} stops it.
   */
  CompletionStage<Outcome> solve(
      Definition definition, String label, BuildInputs inputs, Cancellation cancellation);

  /** For runners of ops that never nest. */
  Nesting NONE =
      (definition, label, inputs, cancellation) ->
          java.util.concurrent.CompletableFuture.failedFuture(
              new IllegalStateException("this vertex cannot nest builds"));
}

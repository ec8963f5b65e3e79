package dev.kiln.engine.solver;

/** How a solve ended. */
public sealed interface Outcome {
  /** The root output and its cache key. */
  record Solved(Result result, CacheKey key) implements Outcome {}

  /** The first failure, naming the vertex that failed. */
  record SolveFailed(SolveError error) implements Outcome {}
}

package dev.kiln.engine.solver;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the solver finds and records vertices' outputs by cache key. Both methods return at once;
 * an implementation that touches the disk does so on its own threads.
 */
public interface ResultCache {
  /** The outputs recorded for {@code key}, if they are still there. */
  CompletionStage<Optional<List<Result>>> lookup(CacheKey key);

  /**
   * Records {@code outputs} for {@code key}: at once for later lookups in this process, durably
   * when the stage completes.
   */
  CompletionStage<Void> record(CacheKey key, List<Result> outputs, Made made);

  /** What made a result, for people reading the cache: the op's kind and the step's name. */
  record Made(String kind, String description) {}

  /** A cache for the life of the process, for tests and for results that cannot persist. */
  static ResultCache inMemory() {
    return new MemoryResultCache();
  }
}

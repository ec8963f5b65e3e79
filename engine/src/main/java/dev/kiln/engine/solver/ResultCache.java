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

  /** Records {@code outputs} for {@code key}; completes once the record is durable. */
  CompletionStage<Void> record(CacheKey key, List<Result> outputs);

  /** A cache for the life of the process, for tests and for results that cannot persist. */
  static ResultCache inMemory() {
    return new MemoryResultCache();
  }
}

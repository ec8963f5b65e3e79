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

  /**
   * What made a result, for people reading the cache: the op's kind and the step's name; and what
   * its key was made of (the op's cache digest, the inputs' keys as {@code digest#output}, the op
   * as canonical JSON), to explain later misses.
   */
  record Made(String kind, String description, String opDigest, List<String> inputs, String op) {
    public Made {
      inputs = List.copyOf(inputs);
    }
  }

  /** A cache for the life of the process, for tests and for results that cannot persist. */
  static ResultCache inMemory() {
    return new MemoryResultCache();
  }
}

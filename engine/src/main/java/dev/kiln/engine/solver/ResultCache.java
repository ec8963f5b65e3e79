package dev.kiln.engine.solver;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the solver finds and records vertices' outputs by cache key. Both methods return at once;
 * an implementation that touches the disk does so on its own threads.
 */
public interface ResultCache {
  /**
   * Whether a result is recorded for {@code key}; its outputs are fetched only when asked for, so a
   * hit whose result nobody needs costs nothing (a record of an imported cache, say).
   */
  CompletionStage<Optional<Hit>> lookup(CacheKey key);

  /** A recorded result. */
  interface Hit {
    /** The outputs, fetched or unpacked on the first call if need be. */
    CompletionStage<List<Result>> outputs();

    /** A hit whose outputs are at hand. */
    static Hit of(List<Result> outputs) {
      List<Result> copy = List.copyOf(outputs);
      return () -> java.util.concurrent.CompletableFuture.completedFuture(copy);
    }
  }

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

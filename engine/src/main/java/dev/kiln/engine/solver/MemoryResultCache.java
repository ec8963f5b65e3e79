package dev.kiln.engine.solver;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** Results by cache key in memory, for the life of the process. */
final class MemoryResultCache implements ResultCache {
  private final Map<CacheKey, List<Result>> results = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Optional<Hit>> lookup(CacheKey key) {
    return CompletableFuture.completedFuture(Optional.ofNullable(results.get(key)).map(Hit::of));
  }

  @Override
  public CompletionStage<Void> record(CacheKey key, List<Result> outputs, Made made) {
    results.put(key, List.copyOf(outputs));
    return CompletableFuture.completedFuture(null);
  }
}

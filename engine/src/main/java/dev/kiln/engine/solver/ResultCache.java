package dev.kiln.engine.solver;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Results by cache key for the life of the process; the persistent cache replaces it later. */
public final class ResultCache {
  private final Map<CacheKey, List<Result>> results = new ConcurrentHashMap<>();

  public Optional<List<Result>> lookup(CacheKey key) {
    return Optional.ofNullable(results.get(key));
  }

  public void record(CacheKey key, List<Result> outputs) {
    results.put(key, List.copyOf(outputs));
  }

  public int size() {
    return results.size();
  }
}

package dev.kiln.engine.cache;

import java.util.List;

/**
 * What a cache key's result is made of: the committed snapshot layers (ids under {@code
 * ROOT/snapshots}, lowest first), and when the record was last used (for garbage collection).
 */
public record CacheRecord(List<String> layers, long lastUsedMillis) {
  public CacheRecord {
    layers = List.copyOf(layers);
  }
}

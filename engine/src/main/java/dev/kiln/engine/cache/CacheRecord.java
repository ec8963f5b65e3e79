package dev.kiln.engine.cache;

import java.util.List;

/**
 * What a cache key's result is made of: per output of the vertex, its committed snapshot layers
 * (ids under {@code ROOT/snapshots}, lowest first); what made it ({@code kind}: {@code exec},
 * {@code file}, {@code source.local}, ...; {@code description}: the step's name), what its key was
 * made of (to explain later misses) and when the record was made and last used (for {@code du} and
 * garbage collection).
 */
public record CacheRecord(
    List<List<String>> outputs,
    String kind,
    String description,
    KeyParts parts,
    long createdMillis,
    long lastUsedMillis) {
  public CacheRecord {
    outputs = outputs.stream().map(List::copyOf).toList();
  }

  /** A record made and used now. */
  public static CacheRecord of(
      List<List<String>> outputs, String kind, String description, long nowMillis) {
    return of(outputs, kind, description, KeyParts.NONE, nowMillis);
  }

  /** A record made and used now, with what its key was made of. */
  public static CacheRecord of(
      List<List<String>> outputs, String kind, String description, KeyParts parts, long nowMillis) {
    return new CacheRecord(outputs, kind, description, parts, nowMillis, nowMillis);
  }

  /** Every layer id the record needs, in output order. */
  public List<String> layers() {
    return outputs.stream().flatMap(List::stream).toList();
  }

  public CacheRecord usedAt(long millis) {
    return new CacheRecord(outputs, kind, description, parts, createdMillis, millis);
  }
}

package dev.kiln.engine.graph;

import java.util.Optional;

/**
 * A mount of an exec step: an input's output (or nothing) at {@code dest}. The root mount is
 * implicit (input 0 at {@code /}); these are the extra ones.
 */
public record Mount(
    Optional<Integer> input,
    String dest,
    MountType type,
    boolean readonly,
    String selector,
    Optional<String> cacheId) {
  public Mount {
    input = input == null ? Optional.empty() : input;
    type = type == null ? MountType.BIND : type;
    selector = selector == null ? "" : selector;
    cacheId = cacheId == null ? Optional.empty() : cacheId;
    if (dest == null || dest.isBlank()) {
      throw new IllegalArgumentException("mount destination is missing");
    }
  }
}

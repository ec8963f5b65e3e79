package dev.kiln.engine.cache;

import java.time.Duration;
import java.util.Optional;

/**
 * What {@code kiln prune} removes, as {@code docker buildx prune} takes it: records last used
 * longer ago than {@code unusedFor} (all when empty), oldest first, until what is left fits in
 * {@code keepBytes} (no limit when empty: every such record). {@code all} also forgets the local
 * sources' file indexes.
 */
public record PrunePolicy(boolean all, Optional<Duration> unusedFor, Optional<Long> keepBytes) {
  public PrunePolicy {
    if (unusedFor.isPresent() && unusedFor.get().isNegative()) {
      throw new IllegalArgumentException("until must not be negative: " + unusedFor.get());
    }
    if (keepBytes.isPresent() && keepBytes.get() < 0) {
      throw new IllegalArgumentException("keep-storage must not be negative: " + keepBytes.get());
    }
  }

  /** Everything. */
  public static PrunePolicy everything() {
    return new PrunePolicy(false, Optional.empty(), Optional.empty());
  }
}

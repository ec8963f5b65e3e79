package dev.kiln.engine.host;

/**
 * One line of a user namespace's id map: ids {@code inner} to {@code inner + count - 1} in the
 * namespace are {@code outer} to {@code outer + count - 1} in its parent.
 */
public record IdRange(long inner, long outer, long count) {
  public IdRange {
    if (inner < 0 || outer < 0 || count < 1) {
      throw new IllegalArgumentException("invalid id range " + inner + " " + outer + " " + count);
    }
  }

  /** Whether {@code id} (in the namespace) lies in this range. */
  public boolean holds(long id) {
    return id >= inner && id - inner < count;
  }

  /** As {@code /proc/self/uid_map} writes it, for people: {@code 1-65535 -> 100000-165534}. */
  public String describe() {
    return count == 1
        ? inner + " -> " + outer
        : inner + "-" + (inner + count - 1) + " -> " + outer + "-" + (outer + count - 1);
  }
}

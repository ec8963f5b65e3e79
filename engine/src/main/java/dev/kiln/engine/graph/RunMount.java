package dev.kiln.engine.graph;

import java.util.Optional;

/**
 * A mount for {@link State#run(java.util.List, SecurityMode, java.util.List)}: {@code mount} reads
 * {@code from} (its input index is assigned when the op is made), or nothing.
 */
public record RunMount(Optional<State> from, Mount mount) {
  public RunMount {
    from = from == null ? Optional.empty() : from;
  }

  public static RunMount of(Mount mount) {
    return new RunMount(Optional.empty(), mount);
  }

  public static RunMount of(State from, Mount mount) {
    return new RunMount(Optional.of(from), mount);
  }
}

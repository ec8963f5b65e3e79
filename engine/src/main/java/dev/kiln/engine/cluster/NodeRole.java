package dev.kiln.engine.cluster;

import java.util.List;
import java.util.Locale;

/**
 * What a node does in the cluster: {@code coordinator} (API, jobs, solver), {@code worker}
 * (executor, snapshots, content) or both ({@code all}, the default and a single node's only role).
 */
public enum NodeRole {
  ALL,
  COORDINATOR,
  WORKER;

  /** Parses {@code --role}; the error lists the choices. */
  public static NodeRole parse(String text) {
    try {
      return valueOf(text.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--role " + text + ": use all, coordinator or worker");
    }
  }

  /** The Pekko cluster roles of a node with this role. */
  public List<String> pekkoRoles() {
    return switch (this) {
      case ALL -> List.of("coordinator", "worker");
      case COORDINATOR -> List.of("coordinator");
      case WORKER -> List.of("worker");
    };
  }

  /** Whether the node runs steps (and so has execution slots). */
  public boolean runsSteps() {
    return this != COORDINATOR;
  }

  /** Whether the node places its builds' steps on the cluster's workers. */
  public boolean coordinates() {
    return this != WORKER;
  }
}

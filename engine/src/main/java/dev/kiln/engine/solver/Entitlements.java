package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.graph.Vertex;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a step may do only when its build was granted it, as BuildKit's entitlements: {@value
 * #NETWORK_HOST} (the host's network) and {@value #SECURITY_INSECURE} (every capability). The
 * solver checks every definition it solves, a nested one or a frontend's as much as a client's, so
 * that no path around the Dockerfile frontend's own check exists. A step with the {@code default}
 * network (a plain {@code RUN}) needs nothing, though that network is the host's today, as
 * BuildKit's without CNI.
 */
public final class Entitlements {
  public static final String NETWORK_HOST = "network.host";
  public static final String SECURITY_INSECURE = "security.insecure";

  /** Every entitlement Kiln knows. */
  public static final Set<String> ALL = Set.of(NETWORK_HOST, SECURITY_INSECURE);

  private Entitlements() {}

  /** The first vertex of {@code definition} that needs what {@code granted} lacks, and why. */
  static Optional<SolveError> refusal(Definition definition, Set<String> granted) {
    for (var entry : definition.vertices().entrySet()) {
      Optional<String> needed = needed(entry.getValue()).filter(e -> !granted.contains(e));
      if (needed.isPresent()) {
        Digest digest = entry.getKey();
        return Optional.of(
            new SolveError(
                digest,
                entry.getValue().name(),
                needed.get()
                    + " is not allowed: pass --allow "
                    + needed.get()
                    + " to kiln build (a daemon must grant it too: kiln daemon --allow)",
                List.of()));
      }
    }
    return Optional.empty();
  }

  private static Optional<String> needed(Vertex vertex) {
    if (!(vertex.op() instanceof ExecOp exec)) {
      return Optional.empty();
    }
    if (exec.security() == SecurityMode.INSECURE) {
      return Optional.of(SECURITY_INSECURE);
    }
    if (exec.network() == NetworkMode.HOST) {
      return Optional.of(NETWORK_HOST);
    }
    return Optional.empty();
  }
}

package dev.kiln.engine.cluster;

import dev.kiln.engine.tls.TlsFiles;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One node's place in a Kiln cluster: the cluster's name, where this node listens ({@code
 * --cluster-bind}), the nodes it joins through ({@code --join}; none: it starts a new cluster), its
 * role, the split-brain resolver's strategy and how long a node may be unreachable before it is
 * downed, how long to try joining before giving up, TLS between the nodes, the data plane's port,
 * and the job journal the coordinators share (none: each node journals in its own root).
 */
public record ClusterSettings(
    String name,
    HostPort bind,
    List<HostPort> seeds,
    NodeRole role,
    String strategy,
    Duration downAfter,
    Duration joinTimeout,
    Optional<TlsFiles> tls,
    int dataPort,
    Optional<dev.kiln.engine.job.SharedJournal> journal) {
  /** The split-brain resolver's strategies Kiln offers (Pekko's, lease-majority aside). */
  public static final Set<String> STRATEGIES = Set.of("keep-majority", "keep-oldest", "down-all");

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  public ClusterSettings {
    seeds = List.copyOf(seeds);
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "--cluster-name " + name + ": use 1 to 63 lower-case letters, digits and -");
    }
    if (!STRATEGIES.contains(strategy)) {
      throw new IllegalArgumentException(
          "--split-brain " + strategy + ": use keep-majority, keep-oldest or down-all");
    }
    if (downAfter.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("--down-after " + downAfter + ": at least 1s");
    }
    if (joinTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("--join-timeout " + joinTimeout + ": at least 1s");
    }
    if (tls.isPresent() && !(tls.get().mutual() && tls.get().key().isPresent())) {
      throw new IllegalArgumentException(
          "--cluster-tls-cert, --cluster-tls-key and --cluster-ca go together: nodes check each"
              + " other's certificates");
    }
    if (dataPort < 0 || dataPort > 65535 || dataPort != 0 && dataPort == bind.port()) {
      throw new IllegalArgumentException(
          "--data-port " + dataPort + ": a free TCP port other than the cluster port, or 0");
    }
    if (bind.host().equals("0.0.0.0") || bind.host().equals("::")) {
      throw new IllegalArgumentException(
          "--cluster-bind " + bind + ": give the address other nodes reach this one at");
    }
  }

  /** These settings without TLS. */
  public ClusterSettings(
      String name,
      HostPort bind,
      List<HostPort> seeds,
      NodeRole role,
      String strategy,
      Duration downAfter,
      Duration joinTimeout) {
    this(
        name,
        bind,
        seeds,
        role,
        strategy,
        downAfter,
        joinTimeout,
        Optional.empty(),
        0,
        Optional.empty());
  }

  /**
   * These settings with mutual TLS between the nodes (Artery and the data plane) from {@code tls}:
   * this node's certificate and key, and the CA that signed every node's.
   */
  public ClusterSettings withTls(Optional<TlsFiles> tls) {
    return new ClusterSettings(
        name, bind, seeds, role, strategy, downAfter, joinTimeout, tls, dataPort, journal);
  }

  /**
   * These settings with the data plane (layers between nodes) on {@code port} of the cluster host;
   * 0, the default, takes any free port and announces it.
   */
  public ClusterSettings withDataPort(int port) {
    return new ClusterSettings(
        name, bind, seeds, role, strategy, downAfter, joinTimeout, tls, port, journal);
  }

  /**
   * These settings with build jobs journaled in {@code journal}, which the coordinators share (a
   * coordinator's jobs outlive it there); none keeps the node's own LevelDB journal.
   */
  public ClusterSettings withJournal(Optional<dev.kiln.engine.job.SharedJournal> journal) {
    return new ClusterSettings(
        name, bind, seeds, role, strategy, downAfter, joinTimeout, tls, dataPort, journal);
  }

  /** A node of the cluster {@code name} with the defaults: keep-majority, 20 s, 60 s. */
  public static ClusterSettings of(
      String name, HostPort bind, List<HostPort> seeds, NodeRole role) {
    return new ClusterSettings(
        name, bind, seeds, role, "keep-majority", Duration.ofSeconds(20), Duration.ofSeconds(60));
  }
}

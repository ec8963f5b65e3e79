package dev.kiln.engine.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Pekko configuration of a cluster node: Artery TCP on {@code --cluster-bind}, the seed nodes,
 * the roles (with the node's execution slots as a {@code kiln-slots-N} role, so that every member
 * sees them in the gossip), the split-brain resolver, and Kiln's join check.
 */
public final class ClusterConfig {
  /** The actor system's name on every node; the cluster's own name is checked on joining. */
  public static final String SYSTEM = "kiln";

  private static final String SLOTS_ROLE = "kiln-slots-";

  private ClusterConfig() {}

  /** The configuration of the node {@code settings} describes, which runs {@code slots} steps. */
  public static Config of(ClusterSettings settings, int slots, String kilnVersion) {
    Map<String, Object> values = new HashMap<>();
    values.put("pekko.actor.provider", "cluster");
    values.put("pekko.remote.artery.transport", settings.tls().isPresent() ? "tls-tcp" : "tcp");
    settings
        .tls()
        .ifPresent(
            tls -> {
              // Pekko's PEM provider: mutual TLS, and a peer's certificate must share a subject
              // name (CN or SAN) with this node's, which keeps other clusters of the same CA out.
              values.put(
                  "pekko.remote.artery.ssl.ssl-engine-provider",
                  "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider");
              String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
              values.put(engine + "key-file", tls.key().orElseThrow().toAbsolutePath().toString());
              values.put(
                  engine + "cert-file", tls.cert().orElseThrow().toAbsolutePath().toString());
              values.put(
                  engine + "ca-cert-file", tls.ca().orElseThrow().toAbsolutePath().toString());
            });
    values.put("pekko.remote.artery.canonical.hostname", settings.bind().host());
    values.put("pekko.remote.artery.canonical.port", settings.bind().port());
    List<HostPort> seeds = settings.seeds().isEmpty() ? List.of(settings.bind()) : settings.seeds();
    values.put(
        "pekko.cluster.seed-nodes", seeds.stream().map(s -> s.pekkoAddress(SYSTEM)).toList());
    List<String> roles = new java.util.ArrayList<>(settings.role().pekkoRoles());
    roles.add(SLOTS_ROLE + (settings.role().runsSteps() ? slots : 0));
    values.put("pekko.cluster.roles", roles);
    values.put("pekko.cluster.app-version", kilnVersion);
    values.put(
        "pekko.cluster.downing-provider-class",
        "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
    values.put("pekko.cluster.split-brain-resolver.active-strategy", settings.strategy());
    values.put(
        "pekko.cluster.split-brain-resolver.stable-after", settings.downAfter().toMillis() + "ms");
    values.put(
        "pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes",
        settings.joinTimeout().toMillis() + "ms");
    values.put(
        "pekko.cluster.configuration-compatibility-check.checkers.kiln",
        KilnJoinCheck.class.getName());
    // A worker that stops answering loses its steps to the others once it is unreachable (downing
    // comes later): Pekko's 1 s heartbeats with 3 s of pause made that take over 4 s. A false alarm
    // costs a step run twice, never a wrong result (the first answer counts).
    values.put("pekko.cluster.failure-detector.heartbeat-interval", "500ms");
    values.put("pekko.cluster.failure-detector.acceptable-heartbeat-pause", "2s");
    // The cluster's steps (SharedStep) passivate themselves once idle for long enough.
    values.put("pekko.cluster.sharding.passivation.strategy", "none");
    values.put("pekko.cluster.sharding.number-of-shards", 100);
    values.put("pekko.cluster.jmx.enabled", false);
    values.put("pekko.cluster.log-info", false);
    values.put("kiln.version", kilnVersion);
    values.put("kiln.cluster.name", settings.name());
    return ConfigFactory.parseMap(values);
  }

  /** The execution slots a member's roles give, 0 when none says. */
  public static int slots(java.util.Set<String> roles) {
    return roles.stream()
        .filter(role -> role.startsWith(SLOTS_ROLE))
        .mapToInt(role -> Integer.parseInt(role.substring(SLOTS_ROLE.length())))
        .findFirst()
        .orElse(0);
  }

  /** The roles of a member a user reads: coordinator, worker (Pekko's data-center role aside). */
  public static List<String> visibleRoles(java.util.Set<String> roles) {
    return roles.stream()
        .filter(role -> !role.startsWith(SLOTS_ROLE) && !role.startsWith("dc-"))
        .sorted()
        .toList();
  }
}

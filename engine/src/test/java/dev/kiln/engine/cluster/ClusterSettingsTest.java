package dev.kiln.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterSettingsTest {
  private static String refusal(Runnable parse) {
    return assertThrows(IllegalArgumentException.class, parse::run).getMessage();
  }

  @Test
  void addressesParseWithTheirHostAndPortAndBadOnesNameTheOption() {
    assertEquals(new HostPort("127.0.0.1", 25520), HostPort.parse("127.0.0.1:25520", "--join"));
    assertEquals(new HostPort("::1", 7), HostPort.parse("[::1]:7", "--join"));
    assertEquals("pekko://kiln@[::1]:7", HostPort.parse("[::1]:7", "--join").pekkoAddress("kiln"));
    assertEquals("--join h: give HOST:PORT", refusal(() -> HostPort.parse("h", "--join")));
    assertEquals(
        "--join h:x: the port is not a number", refusal(() -> HostPort.parse("h:x", "--join")));
    assertEquals(
        "--cluster-bind h:70000: port 70000 is not between 1 and 65535",
        refusal(() -> HostPort.parse("h:70000", "--cluster-bind")));
  }

  @Test
  void aSettingOutOfRangeIsRefusedNamingItsOption() {
    HostPort bind = new HostPort("127.0.0.1", 1);
    assertEquals(
        "--cluster-name Bad Name: use 1 to 63 lower-case letters, digits and -",
        refusal(() -> ClusterSettings.of("Bad Name", bind, List.of(), NodeRole.ALL)));
    assertEquals(
        "--cluster-bind 0.0.0.0:1: give the address other nodes reach this one at",
        refusal(
            () -> ClusterSettings.of("kiln", new HostPort("0.0.0.0", 1), List.of(), NodeRole.ALL)));
    assertEquals(
        "--down-after PT0.5S: at least 1s",
        refusal(
            () ->
                new ClusterSettings(
                    "kiln",
                    bind,
                    List.of(),
                    NodeRole.ALL,
                    "keep-majority",
                    Duration.ofMillis(500),
                    Duration.ofSeconds(5))));
  }

  @Test
  void theNodesPekkoConfigurationCarriesSeedsRolesSlotsAndTheResolver() {
    ClusterSettings settings =
        new ClusterSettings(
            "builds",
            new HostPort("10.0.0.2", 25521),
            List.of(new HostPort("10.0.0.1", 25520)),
            NodeRole.WORKER,
            "keep-oldest",
            Duration.ofSeconds(7),
            Duration.ofSeconds(30));

    Config config = ClusterConfig.of(settings, 6, "0.1.0");

    assertEquals("cluster", config.getString("pekko.actor.provider"));
    assertEquals("10.0.0.2", config.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(25521, config.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(
        List.of("pekko://kiln@10.0.0.1:25520"), config.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of("worker", "kiln-slots-6"), config.getStringList("pekko.cluster.roles"));
    assertEquals(
        "keep-oldest", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(
        Duration.ofSeconds(7),
        config.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
    assertEquals("builds", config.getString("kiln.cluster.name"));
    assertEquals(6, ClusterConfig.slots(Set.copyOf(config.getStringList("pekko.cluster.roles"))));
    assertEquals(
        List.of("worker"),
        ClusterConfig.visibleRoles(Set.of("worker", "kiln-slots-6", "dc-default")));
  }

  @Test
  void aNodeWithoutSeedsStartsANewClusterOfItsOwnAndACoordinatorHasNoSlots() {
    HostPort bind = new HostPort("127.0.0.1", 25520);

    Config config =
        ClusterConfig.of(ClusterSettings.of("kiln", bind, List.of(), NodeRole.COORDINATOR), 4, "1");

    assertEquals(
        List.of("pekko://kiln@127.0.0.1:25520"), config.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(
        List.of("coordinator", "kiln-slots-0"), config.getStringList("pekko.cluster.roles"));
  }

  @Test
  void tlsBetweenNodesIsArteryTlsWithPekkosPemProviderOnTheGivenFiles() {
    HostPort bind = new HostPort("127.0.0.1", 25520);
    java.nio.file.Path dir = java.nio.file.Path.of("/etc/kiln/tls");
    ClusterSettings settings =
        ClusterSettings.of("kiln", bind, List.of(), NodeRole.ALL)
            .withTls(
                java.util.Optional.of(
                    new dev.kiln.engine.tls.TlsFiles(
                        java.util.Optional.of(dir.resolve("node.crt")),
                        java.util.Optional.of(dir.resolve("node.key")),
                        java.util.Optional.of(dir.resolve("ca.crt")))));

    Config config = ClusterConfig.of(settings, 2, "1");
    Config plain =
        ClusterConfig.of(ClusterSettings.of("kiln", bind, List.of(), NodeRole.ALL), 2, "1");

    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    assertEquals("tcp", plain.getString("pekko.remote.artery.transport"));
    assertEquals(
        "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        config.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    assertEquals(
        "/etc/kiln/tls/node.key",
        config.getString("pekko.remote.artery.ssl.rotating-keys-engine.key-file"));
    assertEquals(
        "/etc/kiln/tls/ca.crt",
        config.getString("pekko.remote.artery.ssl.rotating-keys-engine.ca-cert-file"));
  }

  @Test
  void tlsNeedsAllThreeFilesAndTheDataPortAnotherPort() {
    HostPort bind = new HostPort("127.0.0.1", 25520);
    ClusterSettings base = ClusterSettings.of("kiln", bind, List.of(), NodeRole.ALL);

    assertTrue(
        refusal(
                () ->
                    base.withTls(
                        java.util.Optional.of(
                            new dev.kiln.engine.tls.TlsFiles(
                                java.util.Optional.empty(),
                                java.util.Optional.empty(),
                                java.util.Optional.of(java.nio.file.Path.of("ca.crt"))))))
            .contains("go together"));
    assertTrue(refusal(() -> base.withDataPort(25520)).contains("--data-port 25520"));
    assertTrue(refusal(() -> base.withDataPort(70000)).contains("--data-port 70000"));
    assertEquals(25521, base.withDataPort(25521).dataPort());
  }
}

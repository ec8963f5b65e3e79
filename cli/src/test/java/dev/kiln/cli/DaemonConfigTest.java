package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonConfigTest {
  @TempDir Path temp;

  private Path file(String json) throws IOException {
    return Files.writeString(temp.resolve("kiln.json"), json);
  }

  @Test
  void readsEverySettingWithPathsFromTheFilesDirectory() throws IOException {
    DaemonConfig config =
        DaemonConfig.read(
            file(
                "{\"addr\":\"tcp://127.0.0.1:9000\",\"root\":\"state\",\"maxUpload\":\"1GiB\","
                    + "\"execSlots\":8,\"buildSlots\":2,"
                    + "\"tls\":{\"cert\":\"s.pem\",\"key\":\"s.key\",\"ca\":\"/etc/ca.pem\"},"
                    + "\"allowInsecureEntitlements\":[\"network.host\"]}"));
    assertEquals(Optional.of("tcp://127.0.0.1:9000"), config.addr());
    assertEquals(Optional.of(temp.resolve("state")), config.root());
    assertEquals(Optional.of(1L << 30), config.maxUpload());
    assertEquals(Optional.of(8), config.execSlots());
    assertEquals(Optional.of(2), config.buildSlots());
    assertEquals(Optional.of(temp.resolve("s.pem")), config.tlsCert());
    assertEquals(Optional.of(Path.of("/etc/ca.pem")), config.tlsCa());
    assertEquals(java.util.Set.of("network.host"), config.entitlements());
    assertEquals(DaemonConfig.NONE, DaemonConfig.read(file("{}")));
  }

  @Test
  void readsAClusterNodesSettings() throws IOException {
    DaemonConfig config =
        DaemonConfig.read(
            file(
                "{\"cluster\":{\"bind\":\"127.0.0.1:25521\",\"join\":[\"127.0.0.1:25520\"],"
                    + "\"role\":\"worker\",\"name\":\"ci\",\"splitBrain\":\"keep-oldest\","
                    + "\"downAfter\":\"30s\",\"joinTimeout\":\"2m\","
                    + "\"dataPort\":25530,"
                    + "\"journal\":{\"url\":\"jdbc:postgresql://db:5432/kiln\","
                    + "\"user\":\"builds\",\"passwordFile\":\"journal.pw\"},"
                    + "\"tls\":{\"cert\":\"node.crt\",\"key\":\"node.key\",\"ca\":\"/etc/ca.crt\"}}}"));

    assertEquals(
        new DaemonConfig.Cluster(
            Optional.of("127.0.0.1:25521"),
            java.util.List.of("127.0.0.1:25520"),
            Optional.of("worker"),
            Optional.of("ci"),
            Optional.of("keep-oldest"),
            Optional.of("30s"),
            Optional.of("2m"),
            Optional.of(temp.resolve("node.crt")),
            Optional.of(temp.resolve("node.key")),
            Optional.of(Path.of("/etc/ca.crt")),
            Optional.of(25530),
            Optional.of("jdbc:postgresql://db:5432/kiln"),
            Optional.of("builds"),
            Optional.of(temp.resolve("journal.pw"))),
        config.cluster());
  }

  @Test
  void theProductionExampleFilesAreValidSettings() throws Exception {
    Path example =
        dev.kiln.engine.testing.BusyboxLayout.repositoryRoot().resolve("cluster-config/production");

    DaemonConfig coordinator = DaemonConfig.read(example.resolve("coordinator.json"));
    DaemonConfig worker = DaemonConfig.read(example.resolve("worker.json"));

    assertEquals(Optional.of("coordinator"), coordinator.cluster().role());
    assertEquals(Optional.of("worker"), worker.cluster().role());
    assertEquals(coordinator.cluster().join(), worker.cluster().join());
    assertEquals(
        Optional.of("jdbc:postgresql://10.0.0.20:5432/kiln"), coordinator.cluster().journalUrl());
    for (DaemonConfig config : java.util.List.of(coordinator, worker)) {
      assertEquals(Optional.of(Path.of("/etc/kiln/tls/cluster-ca.crt")), config.cluster().tlsCa());
      assertEquals(Optional.of(Path.of("/etc/kiln/tls/api-ca.crt")), config.tlsCa());
      assertEquals(Optional.of(25521), config.cluster().dataPort());
    }
  }

  @Test
  void malformedSettingsNameTheFileTheLineOrTheKey() throws IOException {
    String[][] cases = {
      {"{\n\"addr\": \"x\",\n oops}", "kiln.json:3: not JSON"},
      {"[]", "must be a JSON object"},
      {"{\"adr\":\"x\"}", "unknown setting \"adr\""},
      {"{\"tls\":{\"certificate\":\"x\"}}", "unknown setting \"tls.certificate\""},
      {"{\"tls\":\"x\"}", "\"tls\" must be an object"},
      {"{\"cluster\":{\"tls\":[]}}", "\"cluster.tls\" must be an object"},
      {"{\"cluster\":{\"tls\":{\"crt\":\"x\"}}}", "unknown setting \"cluster.tls.crt\""},
      {"{\"execSlots\":-1}", "\"execSlots\" must be a whole number >= 0"},
      {"{\"buildSlots\":\"4\"}", "\"buildSlots\" must be a whole number"},
      {"{\"maxUpload\":\"lots\"}", "kiln.json: "},
      {"{\"root\":\"\"}", "\"root\" must be a non-empty string"},
      {"{\"allowInsecureEntitlements\":[\"root\"]}", "must be a list of network.host"},
      {"{\"allowInsecureEntitlements\":\"network.host\"}", "must be a list of"},
      {"{\"cluster\":[]}", "\"cluster\" must be an object"},
      {"{\"cluster\":{\"seeds\":[]}}", "unknown setting \"cluster.seeds\""},
      {"{\"cluster\":{\"join\":\"a:1\"}}", "\"cluster.join\" must be a list of HOST:PORT"},
      {"{\"cluster\":{\"join\":[1]}}", "\"cluster.join\" must be a list of HOST:PORT"},
      {"{\"cluster\":{\"bind\":7}}", "\"bind\" must be a non-empty string"},
      // A value the file gives is named by its key, not by the flag.
      {"{\"cluster\":{\"role\":\"boss\"}}", "kiln.json: cluster.role boss: use all"},
      {"{\"cluster\":{\"bind\":\"127.0.0.1\"}}", "kiln.json: cluster.bind 127.0.0.1: give"},
      {"{\"cluster\":{\"join\":[\"a\"]}}", "kiln.json: cluster.join a: give HOST:PORT"},
      {"{\"cluster\":{\"downAfter\":\"soon\"}}", "kiln.json: cluster.downAfter"},
      {"{\"cluster\":{\"splitBrain\":\"coin\"}}", "kiln.json: cluster.splitBrain coin: use"},
      {"{\"cluster\":{\"name\":\"A B\"}}", "kiln.json: cluster.name A B: use"},
      {"{\"cluster\":{\"tls\":{\"cert\":\"a\"}}}", "cluster.tls's cert, key and ca go together"},
      {"{\"cluster\":{\"journal\":\"pg\"}}", "\"cluster.journal\" must be an object"},
      {
        "{\"cluster\":{\"journal\":{\"password\":\"x\"}}}",
        "unknown setting \"cluster.journal.password\""
      },
      {
        "{\"cluster\":{\"journal\":{\"url\":\"mysql://db/kiln\"}}}",
        "kiln.json: cluster.journal.url mysql://db/kiln: use jdbc:postgresql://HOST:PORT/DATABASE"
      },
      {
        "{\"cluster\":{\"journal\":{\"user\":\"kiln\"}}}",
        "kiln.json: cluster.journal.user and passwordFile need cluster.journal.url"
      },
    };
    for (String[] c : cases) {
      IOException e = assertThrows(IOException.class, () -> DaemonConfig.read(file(c[0])), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
    Files.write(temp.resolve("huge.json"), new byte[100_000]);
    assertThrows(IOException.class, () -> DaemonConfig.read(temp.resolve("huge.json")));
  }

  @Test
  void theDaemonRefusesABadConfigBeforeItStartsAnything() throws IOException {
    Path bad = file("{\"adr\":\"x\"}");
    Refused refused = daemon("--root", temp.resolve("root").toString(), "--config", bad.toString());
    assertEquals(1, refused.exit());
    assertTrue(refused.err().contains("unknown setting \"adr\""), refused.err());
    assertTrue(!Files.exists(temp.resolve("root")), "the daemon started on a bad config");
  }

  @Test
  void aJournalPasswordFileThatCannotBeReadStopsTheDaemonBeforeItStarts() {
    Refused refused =
        daemon(
            "--root",
            temp.resolve("root").toString(),
            "--cluster-bind",
            "127.0.0.1:25999",
            "--journal",
            "jdbc:postgresql://127.0.0.1:1/kiln",
            "--journal-password-file",
            temp.resolve("gone").toString());
    assertEquals(1, refused.exit());
    assertTrue(
        refused
            .err()
            .contains("--journal-password-file " + temp.resolve("gone") + ": cannot read it"),
        refused.err());
    assertTrue(!Files.exists(temp.resolve("root")), "the daemon started without its journal");
  }

  /** What {@code kiln daemon ARGS} said on stderr as it refused to start, and its exit code. */
  private record Refused(int exit, String err) {}

  private static Refused daemon(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("daemon"));
      command.addAll(java.util.List.of(args));
      int exit = KilnCommand.run(command.toArray(String[]::new));
      return new Refused(exit, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }
}

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
                    + "\"downAfter\":\"30s\",\"joinTimeout\":\"2m\"}}"));

    assertEquals(
        new DaemonConfig.Cluster(
            Optional.of("127.0.0.1:25521"),
            java.util.List.of("127.0.0.1:25520"),
            Optional.of("worker"),
            Optional.of("ci"),
            Optional.of("keep-oldest"),
            Optional.of("30s"),
            Optional.of("2m")),
        config.cluster());
  }

  @Test
  void malformedSettingsNameTheFileTheLineOrTheKey() throws IOException {
    String[][] cases = {
      {"{\n\"addr\": \"x\",\n oops}", "kiln.json:3: not JSON"},
      {"[]", "must be a JSON object"},
      {"{\"adr\":\"x\"}", "unknown setting \"adr\""},
      {"{\"tls\":{\"certificate\":\"x\"}}", "unknown setting \"tls.certificate\""},
      {"{\"tls\":\"x\"}", "\"tls\" must be an object"},
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
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit =
          KilnCommand.run(
              "daemon", "--root", temp.resolve("root").toString(), "--config", bad.toString());
    } finally {
      System.setErr(saved);
    }
    assertEquals(1, exit);
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("unknown setting \"adr\""), err.toString());
    assertTrue(!Files.exists(temp.resolve("root")), "the daemon started on a bad config");
  }
}

package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.process;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln daemons as nodes of one cluster (issue 11, membership): real daemon processes on loopback
 * form a Pekko cluster with their roles and slots, which {@code kiln cluster status} shows; a node
 * of another cluster or with no seed to reach is refused at start with a clear error.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterMembershipTest {
  @TempDir Path temp;

  private DaemonProcess node(String name, String... cluster) throws IOException {
    return ClusterProcesses.node(temp.resolve(name), cluster);
  }

  @Test
  void threeDaemonsFormOneClusterWithTheirRolesAndSlots() throws Exception {
    String first = "127.0.0.1:" + ClusterPorts.next();
    String second = "127.0.0.1:" + ClusterPorts.next();
    String third = "127.0.0.1:" + ClusterPorts.next();
    try (DaemonProcess a = node("a", "--cluster-bind", first, "--slots", "2");
        DaemonProcess b =
            node(
                "b",
                "--cluster-bind",
                second,
                "--join",
                first,
                "--role",
                "worker",
                "--slots",
                "3");
        DaemonProcess c =
            node(
                "c",
                "--cluster-bind",
                third,
                "--join",
                first + "," + second,
                "--role",
                "coordinator")) {
      // Each daemon listens only once it is Up, so all three are members by now.
      KilnRun json = process("cluster", "status", "--addr", c.address(), "--format", "json");
      KilnRun table = process("cluster", "status", "--addr", a.address());

      assertEquals(0, json.exit(), json.err());
      JsonNode status = new ObjectMapper().readTree(json.err());
      assertEquals("kiln", status.path("name").asText());
      assertEquals(third, status.path("self").asText());
      Map<String, String> members = new TreeMap<>();
      for (JsonNode member : status.path("members")) {
        List<String> roles = new ArrayList<>();
        member.path("roles").forEach(role -> roles.add(role.asText()));
        members.put(
            member.path("address").asText(),
            member.path("status").asText()
                + " "
                + member.path("reachable").asBoolean()
                + " "
                + roles
                + " "
                + member.path("slots").asInt()
                + " "
                + member.path("version").asText());
      }
      assertEquals(
          Map.of(
              first, "up true [coordinator, worker] 2 0.1.0",
              second, "up true [worker] 3 0.1.0",
              third, "up true [coordinator] 0 0.1.0"),
          members);
      assertEquals(0, table.exit(), table.err());
      assertTrue(table.err().contains("Cluster kiln, seen from " + first), table.err());
      assertTrue(table.err().contains("NODE"), table.err());
    }
  }

  @Test
  void theThreeNodeExampleFilesMakeOneCluster() throws Exception {
    Path example = BusyboxLayout.repositoryRoot().resolve("cluster-config/local-3");
    List<DaemonProcess> nodes = new ArrayList<>();
    try {
      for (String name : List.of("a", "b", "c")) {
        // The files' cluster ports (25520-25522); each daemon's API and state here instead.
        nodes.add(node(name, "--config", example.resolve("node-" + name + ".json").toString()));
      }
      KilnRun json =
          process("cluster", "status", "--addr", nodes.get(2).address(), "--format", "json");

      assertEquals(0, json.exit(), json.err());
      List<String> members = new ArrayList<>();
      for (JsonNode member : new ObjectMapper().readTree(json.err()).path("members")) {
        members.add(member.path("address").asText() + " " + member.path("status").asText());
      }
      assertEquals(
          List.of("127.0.0.1:25520 up", "127.0.0.1:25521 up", "127.0.0.1:25522 up"), members);
    } finally {
      for (DaemonProcess node : nodes) {
        node.close();
      }
    }
  }

  @Test
  void aNodeOfAnotherClusterIsRefusedAndTheClusterIsUnharmed() throws Exception {
    String seed = "127.0.0.1:" + ClusterPorts.next();
    try (DaemonProcess a = node("a", "--cluster-bind", seed)) {
      KilnRun other =
          process(
              "daemon",
              "--root",
              temp.resolve("other").toString(),
              "--addr",
              "tcp://127.0.0.1:0",
              "--cluster-bind",
              "127.0.0.1:" + ClusterPorts.next(),
              "--join",
              seed,
              "--cluster-name",
              "other",
              "--join-timeout",
              "20s");
      KilnRun status = process("cluster", "status", "--addr", a.address(), "--format", "json");

      assertEquals(1, other.exit(), other.err());
      assertTrue(
          other.err().contains("error: the cluster at " + seed + " refused this node"),
          other.err());
      assertEquals(0, status.exit(), status.err());
      JsonNode members = new ObjectMapper().readTree(status.err()).path("members");
      assertEquals(1, members.size(), status.err());
      assertEquals("up", members.get(0).path("status").asText());
    }
  }

  @Test
  void aNodeOfAnotherKilnVersionIsRefused() throws Exception {
    String seed = "127.0.0.1:" + ClusterPorts.next();
    try (DaemonProcess a = node("a", "--cluster-bind", seed)) {
      List<String> command =
          DaemonProcess.kiln(
              "daemon",
              "--root",
              temp.resolve("newer").toString(),
              "--addr",
              "tcp://127.0.0.1:0",
              "--cluster-bind",
              "127.0.0.1:" + ClusterPorts.next(),
              "--join",
              seed);
      command.add(1, "-Dkiln.version=9.9.9");
      Process newer = new ProcessBuilder(command).redirectErrorStream(true).start();
      newer.getOutputStream().close();
      String said = new String(newer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertTrue(newer.waitFor(2, TimeUnit.MINUTES), said);
      assertEquals(1, newer.exitValue(), said);
      assertTrue(said.contains("refused this node"), said);
      assertTrue(said.contains("Kiln 9.9.9"), said);
    }
  }

  @Test
  void aNodeWhoseSeedNeverAnswersGivesUpWithAClearError() throws Exception {
    String nobody = "127.0.0.1:" + ClusterPorts.next();
    KilnRun run =
        process(
            "daemon",
            "--root",
            temp.resolve("lonely").toString(),
            "--addr",
            "tcp://127.0.0.1:0",
            "--cluster-bind",
            "127.0.0.1:" + ClusterPorts.next(),
            "--join",
            nobody,
            "--join-timeout",
            "3s");

    assertEquals(1, run.exit(), run.err());
    assertTrue(
        run.err().contains("error: could not join the cluster: no node at " + nobody), run.err());
  }

  @Test
  void misconfiguredNodesAreRefusedBeforeAnythingStarts() throws Exception {
    Path root = temp.resolve("bad");
    Map<List<String>, String> cases =
        Map.of(
            List.of("--join", "127.0.0.1:1"),
            "give --cluster-bind HOST:PORT too",
            List.of("--cluster-bind", "127.0.0.1"),
            "--cluster-bind 127.0.0.1: give HOST:PORT",
            List.of("--cluster-bind", "127.0.0.1:1", "--role", "boss"),
            "--role boss: use all, coordinator or worker",
            List.of("--cluster-bind", "127.0.0.1:1", "--role", "coordinator", "--slots", "4"),
            "--slots: a coordinator runs no steps",
            List.of("--cluster-bind", "127.0.0.1:1", "--split-brain", "coin-toss"),
            "--split-brain coin-toss: use keep-majority, keep-oldest or down-all");
    for (Map.Entry<List<String>, String> bad : cases.entrySet()) {
      List<String> args = new ArrayList<>(List.of("daemon", "--root", root.toString()));
      args.addAll(bad.getKey());
      KilnRun run = KilnRun.of(args.toArray(String[]::new));

      assertEquals(1, run.exit(), bad.getKey() + ": " + run.err());
      assertTrue(
          run.err().startsWith("error: ") && run.err().contains(bad.getValue()),
          bad.getKey() + ": " + run.err());
    }
  }

  @Test
  void aSingleDaemonSaysItIsNoClusterNode() throws Exception {
    try (DaemonProcess single = DaemonProcess.start(temp.resolve("single"))) {
      KilnRun run = process("cluster", "status", "--addr", single.address());

      assertEquals(1, run.exit(), run.err());
      assertTrue(run.err().contains("this daemon is a single node"), run.err());
    }
  }
}

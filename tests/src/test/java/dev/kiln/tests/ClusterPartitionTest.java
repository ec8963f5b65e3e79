package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.placedOn;
import static dev.kiln.tests.ClusterProcesses.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker on a test host of its own (a network namespace) whose link is cut mid-build (issue 11):
 * the majority side downs it and its steps run on the other worker, the build completes; the
 * worker, alone on its side, downs itself and its daemon exits; started again once the link is
 * back, it joins as a new member and takes steps.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterPartitionTest {
  @TempDir Path temp;

  private static final String[] DOWNING = {"--down-after", "3s"};

  private DaemonProcess worker(NetworkNamespace host, String bind, String seed) throws Exception {
    return DaemonProcess.launch(
        host.inside(
            ClusterProcesses.nodeCommand(
                temp.resolve("b"),
                "--cluster-bind",
                bind,
                "--join",
                seed,
                "--role",
                "worker",
                "--slots",
                "2",
                DOWNING[0],
                DOWNING[1])));
  }

  private static Set<String> upAndReachable(String address) throws Exception {
    Set<String> up = new TreeSet<>();
    for (JsonNode member : status(address).path("members")) {
      if (member.path("status").asText().equals("up") && member.path("reachable").asBoolean()) {
        up.add(member.path("address").asText());
      }
    }
    return up;
  }

  @Test
  void aWorkerCutOffIsDownedItsStepsMoveAndItRejoinsWhenTheLinkReturns() throws Exception {
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    try (NetworkNamespace host = NetworkNamespace.create()) {
      // a's port below c's: a then leads the cluster (the lowest address), so its view of the
      // members changes first, and the assertions on that view do not race the gossip from c.
      int[] ports = {ClusterPorts.next(), ClusterPorts.next()};
      java.util.Arrays.sort(ports);
      String a = host.hostAddress() + ":" + ports[0];
      String c = host.hostAddress() + ":" + ports[1];
      String b = host.innerAddress() + ":" + ClusterPorts.next();
      try (DaemonProcess coordinator =
              ClusterProcesses.node(
                  temp.resolve("a"),
                  "--cluster-bind",
                  a,
                  "--role",
                  "coordinator",
                  DOWNING[0],
                  DOWNING[1]);
          DaemonProcess workerC =
              ClusterProcesses.node(
                  temp.resolve("c"),
                  "--cluster-bind",
                  c,
                  "--join",
                  a,
                  "--role",
                  "worker",
                  "--slots",
                  "2",
                  DOWNING[0],
                  DOWNING[1]);
          DaemonProcess workerB = worker(host, b, a)) {
        Path out = temp.resolve("out");
        ClientLines client =
            ClusterProcesses.build(
                coordinator.address(),
                ClusterProcesses.wide(temp.resolve("wide"), 4, 4),
                "--output",
                "type=local,dest=" + out);
        for (int i = 0; i < 4; i++) {
          client.await("running:yes"); // two steps on each worker
        }

        host.cut();
        client.await("left the cluster: placing the step again");
        int exit = client.exit();

        assertEquals(0, exit, client.shown());
        for (int i = 0; i < 4; i++) {
          assertEquals("done-" + i + "\n", Files.readString(out.resolve("out" + i)));
        }
        assertEquals(1, workerB.awaitExit(), "b downed itself, alone on its side");
        assertTrue(
            workerB
                .lastLines()
                .contains(
                    "error: this node was removed from the cluster (downed by the split-brain"
                        + " resolver): this daemon exits"),
            workerB.lastLines());
        assertEquals(new TreeSet<>(List.of(a, c)), upAndReachable(coordinator.address()));

        host.restore();
        try (DaemonProcess again = worker(host, b, a)) {
          // It listens once it is Up again: the cluster let the new incarnation in.
          assertEquals(new TreeSet<>(List.of(a, b, c)), upAndReachable(coordinator.address()));
          KilnRun second =
              KilnRun.of(
                  "build",
                  "--addr",
                  coordinator.address(),
                  "--progress",
                  "plain",
                  // Six 2 s steps: more than c's slots and queue, so that some wait for b, which
                  // the coordinator meets (through the receptionist) about when the build starts.
                  ClusterProcesses.wide(temp.resolve("wide-again"), 6, 2).toString());
          assertEquals(0, second.exit(), second.err());
          assertTrue(placedOn(coordinator.address(), b) >= 1, "b takes steps again");
        }
      }
    }
  }
}

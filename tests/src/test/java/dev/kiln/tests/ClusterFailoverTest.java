package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.freePort;
import static dev.kiln.tests.ClusterProcesses.status;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL in the middle of a build (issue 11, failover): the split-brain
 * resolver downs it, the coordinator places its steps on the remaining worker, and the build
 * completes with every stage's output.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterFailoverTest {
  @TempDir Path temp;

  private DaemonProcess node(String name, String... cluster) throws IOException {
    List<String> options = new ArrayList<>(List.of(cluster));
    options.addAll(List.of("--down-after", "2s"));
    return ClusterProcesses.node(temp.resolve(name), options.toArray(String[]::new));
  }

  @Test
  void aWorkerKilledMidBuildLosesOnlyItsStepsWhichRunElsewhere() throws Exception {
    String a = "127.0.0.1:" + freePort();
    String b = "127.0.0.1:" + freePort();
    String c = "127.0.0.1:" + freePort();
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    StringBuilder dockerfile = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      dockerfile.append("FROM busybox AS s").append(i).append('\n');
      // The step's output says "running:yes"; its header shows the command, "running:$(...)".
      dockerfile.append("RUN echo running:$(echo yes) && sleep 3 && echo done-");
      dockerfile.append(i).append(" > /out").append(i).append('\n');
    }
    dockerfile.append("FROM busybox\n");
    for (int i = 0; i < 4; i++) {
      dockerfile.append("COPY --from=s").append(i).append(" /out").append(i).append(" /\n");
    }
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(context.resolve("Dockerfile"), dockerfile.toString());

    try (DaemonProcess coordinator = node("a", "--cluster-bind", a, "--role", "coordinator");
        DaemonProcess workerB =
            node("b", "--cluster-bind", b, "--join", a, "--role", "worker", "--slots", "2");
        DaemonProcess workerC =
            node("c", "--cluster-bind", c, "--join", a, "--role", "worker", "--slots", "2")) {
      Path out = temp.resolve("out");
      ClientLines client =
          ClientLines.start(
              DaemonProcess.kiln(
                  "build",
                  "--addr",
                  coordinator.address(),
                  "--progress",
                  "plain",
                  "--output",
                  "type=local,dest=" + out,
                  context.toString()));
      // Two steps on each worker (2 slots each): all four run once four have said so.
      for (int i = 0; i < 4; i++) {
        client.await("running:yes");
      }

      workerB.kill();
      client.await("left the cluster: placing the step again");
      int exit = client.exit();

      assertEquals(0, exit, client.shown());
      for (int i = 0; i < 4; i++) {
        assertEquals("done-" + i + "\n", Files.readString(out.resolve("out" + i)), client.shown());
      }
      JsonNode status = status(coordinator.address());
      List<String> members = new ArrayList<>();
      long onC = 0;
      for (JsonNode member : status.path("members")) {
        members.add(member.path("address").asText());
        if (member.path("address").asText().equals(c)) {
          onC = member.path("placed").asLong();
        }
      }
      assertEquals(new java.util.TreeSet<>(List.of(a, c)), new java.util.TreeSet<>(members));
      assertEquals(4, onC, "c ran its two steps and b's two: " + status);
    }
  }
}

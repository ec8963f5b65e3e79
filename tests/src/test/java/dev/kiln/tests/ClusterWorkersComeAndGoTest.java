package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.placedOn;
import static dev.kiln.tests.ClusterProcesses.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Workers coming and going in the middle of a build (issue 11): one killed with SIGKILL is downed
 * by the split-brain resolver and its steps run on the remaining worker, and the build completes
 * with every stage's output; one that joins takes steps that were waiting.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterWorkersComeAndGoTest {
  @TempDir Path temp;

  private DaemonProcess node(String name, String... cluster) throws IOException {
    List<String> options = new ArrayList<>(List.of(cluster));
    options.addAll(List.of("--down-after", "2s"));
    return ClusterProcesses.node(temp.resolve(name), options.toArray(String[]::new));
  }

  private Path wide(int stages, int seconds) throws IOException {
    return ClusterProcesses.wide(temp.resolve("context"), stages, seconds);
  }

  @Test
  void aWorkerKilledMidBuildLosesOnlyItsStepsWhichRunElsewhere() throws Exception {
    String a = "127.0.0.1:" + ClusterPorts.next();
    String b = "127.0.0.1:" + ClusterPorts.next();
    String c = "127.0.0.1:" + ClusterPorts.next();
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    Path context = wide(4, 3);

    try (DaemonProcess coordinator = node("a", "--cluster-bind", a, "--role", "coordinator");
        DaemonProcess workerB =
            node("b", "--cluster-bind", b, "--join", a, "--role", "worker", "--slots", "2");
        DaemonProcess workerC =
            node("c", "--cluster-bind", c, "--join", a, "--role", "worker", "--slots", "2")) {
      Path out = temp.resolve("out");
      ClientLines client =
          ClusterProcesses.build(
              coordinator.address(), context, "--output", "type=local,dest=" + out);
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
      List<String> up = new ArrayList<>();
      long onC = 0;
      for (JsonNode member : status.path("members")) {
        if (member.path("status").asText().equals("up") && member.path("reachable").asBoolean()) {
          up.add(member.path("address").asText());
        }
        if (member.path("address").asText().equals(c)) {
          onC = member.path("placed").asLong();
        }
      }
      // b is unreachable, or down (listed until the leader removes it): its steps moved once it
      // became unreachable, which the receptionist's listing says.
      assertEquals(
          new java.util.TreeSet<>(List.of(a, c)), new java.util.TreeSet<>(up), status.toString());
      assertEquals(4, onC, "c ran its two steps and b's two: " + status);
    }
  }

  @Test
  void aNodeThatJoinsMidBuildTakesSteps() throws Exception {
    String a = "127.0.0.1:" + ClusterPorts.next();
    String c = "127.0.0.1:" + ClusterPorts.next();
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    Path context = wide(6, 2);

    try (DaemonProcess coordinator = node("a", "--cluster-bind", a, "--role", "coordinator");
        DaemonProcess workerB =
            node(
                "b",
                "--cluster-bind",
                "127.0.0.1:" + ClusterPorts.next(),
                "--join",
                a,
                "--role",
                "worker",
                "--slots",
                "1")) {
      ClientLines client = ClusterProcesses.build(coordinator.address(), context);
      client.await("running:yes");

      // One slot and one queued on b: four steps wait at the coordinator when c joins.
      try (DaemonProcess workerC =
          node("c", "--cluster-bind", c, "--join", a, "--role", "worker", "--slots", "2")) {
        int exit = client.exit();
        long onC = placedOn(coordinator.address(), c);

        assertEquals(0, exit, client.shown());
        assertTrue(onC >= 1, "the node that joined took steps: " + client.shown());
      }
    }
  }

  @Test
  void anOutputHeldOnlyByAKilledWorkerIsMadeAgain() throws Exception {
    String a = "127.0.0.1:" + ClusterPorts.next();
    String b = "127.0.0.1:" + ClusterPorts.next();
    String c = "127.0.0.1:" + ClusterPorts.next();
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    Path context = Files.createDirectories(temp.resolve("context"));
    // slow reads a secret, so it runs on the coordinator: only fast is placed before the last step.
    Files.writeString(
        context.resolve("Dockerfile"),
        """
        FROM busybox AS fast
        RUN echo fast:$(echo yes) && head -c 8 /dev/urandom | od -An -tx1 > /fast
        FROM busybox AS slow
        RUN --mount=type=secret,id=gate echo slow:$(echo yes) && sleep 6 && echo slow > /slow
        FROM slow
        RUN --mount=type=bind,from=fast,target=/f cp /f/fast /copied
        """);
    Path gate = Files.writeString(temp.resolve("gate"), "open");

    try (DaemonProcess coordinator = node("a", "--cluster-bind", a, "--role", "coordinator");
        DaemonProcess workerB =
            node("b", "--cluster-bind", b, "--join", a, "--role", "worker", "--slots", "1");
        DaemonProcess workerC =
            node("c", "--cluster-bind", c, "--join", a, "--role", "worker", "--slots", "1")) {
      Path out = temp.resolve("out");
      ClientLines client =
          ClusterProcesses.build(
              coordinator.address(),
              context,
              "--secret",
              "id=gate,src=" + gate,
              "--output",
              "type=local,dest=" + out);
      String fast = client.seenOrAwait("fast:yes");
      client.seenOrAwait("slow:yes");
      client.seenOrAwait(fast.substring(0, fast.indexOf(' ')) + " DONE");
      String holder = placedOn(coordinator.address(), b) == 1 ? b : c;
      (holder.equals(b) ? workerB : workerC).kill();
      int exit = client.exit();

      assertEquals(0, exit, client.shown());
      assertTrue(
          client
              .shown()
              .contains("its output was held only by " + holder + ", which left the cluster"),
          client.shown());
      assertEquals("slow\n", Files.readString(out.resolve("slow")));
      assertTrue(
          Files.readString(out.resolve("copied")).matches("( [0-9a-f]{2}){8}\n"),
          Files.readString(out.resolve("copied")));
    }
  }
}

package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.process;
import static dev.kiln.tests.ClusterProcesses.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.snapshot.TestLayers;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds spread over a cluster (issue 11, placement): a coordinator that runs no steps itself
 * places every step on two workers, real daemon processes on loopback. A wide build uses both and
 * gives what one node gives; a chain stays on one worker; a step that fails on a worker fails the
 * build with its output.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterPlacementTest {
  @TempDir static Path temp;
  private static DaemonProcess coordinator;
  private static DaemonProcess workerB;
  private static DaemonProcess workerC;
  private static String b;
  private static String c;

  @BeforeAll
  static void startCluster() throws Exception {
    String a = "127.0.0.1:" + ClusterPorts.next();
    b = "127.0.0.1:" + ClusterPorts.next();
    c = "127.0.0.1:" + ClusterPorts.next();
    // The base image is the coordinator's alone: the workers fetch it from there.
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    coordinator = node("a", "--cluster-bind", a, "--role", "coordinator");
    workerB = node("b", "--cluster-bind", b, "--join", a, "--role", "worker", "--slots", "2");
    workerC = node("c", "--cluster-bind", c, "--join", a, "--role", "worker", "--slots", "2");
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (DaemonProcess node : new DaemonProcess[] {workerC, workerB, coordinator}) {
      if (node != null) {
        node.close();
      }
    }
  }

  private static DaemonProcess node(String name, String... cluster) throws IOException {
    return ClusterProcesses.node(temp.resolve(name), cluster);
  }

  private static Path context(String name, String dockerfile) throws IOException {
    Path context = Files.createDirectories(temp.resolve("contexts").resolve(name));
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    return context;
  }

  private static KilnRun build(Path context, Path out) throws Exception {
    return process(
        "build",
        "--addr",
        coordinator.address(),
        "--progress",
        "plain",
        "--output",
        "type=local,dest=" + out,
        context.toString());
  }

  /** How many steps the coordinator placed on each worker so far. */
  private static Map<String, Long> placed() throws Exception {
    Map<String, Long> placed = new HashMap<>();
    for (JsonNode member : status(coordinator.address()).path("members")) {
      placed.put(member.path("address").asText(), member.path("placed").asLong());
    }
    return placed;
  }

  private static long fetchedLayers(DaemonProcess node) throws Exception {
    return status(node.address()).path("fetched").path("layers").asLong();
  }

  @Test
  void aWideBuildUsesEveryWorkerAndGivesWhatOneNodeGives() throws Exception {
    StringBuilder dockerfile = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      dockerfile.append("FROM busybox AS s").append(i).append('\n');
      dockerfile.append("RUN sleep 1 && echo stage-").append(i).append(" > /out").append(i);
      dockerfile.append('\n');
    }
    dockerfile.append("FROM busybox\n");
    for (int i = 0; i < 6; i++) {
      dockerfile.append("COPY --from=s").append(i).append(" /out").append(i).append(" /\n");
    }
    Path context = context("wide", dockerfile.toString());
    Map<String, Long> before = placed();

    KilnRun run = build(context, temp.resolve("wide-out"));
    Map<String, Long> after = placed();
    KilnRun single =
        KilnRun.of(
            "build",
            "--root",
            temp.resolve("single").toString(),
            "--progress",
            "quiet",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            "--output",
            "type=local,dest=" + temp.resolve("single-out"),
            context.toString());

    assertEquals(0, run.exit(), run.err());
    long onB = after.get(b) - before.getOrDefault(b, 0L);
    long onC = after.get(c) - before.getOrDefault(c, 0L);
    assertEquals(6, onB + onC, after.toString());
    assertTrue(onB >= 1 && onC >= 1, "each worker ran a step: " + after);
    assertEquals(0, single.exit(), single.err());
    assertEquals(
        TestLayers.fingerprint(temp.resolve("single-out")),
        TestLayers.fingerprint(temp.resolve("wide-out")));
    assertEquals("stage-4\n", Files.readString(temp.resolve("wide-out/out4")));
  }

  @Test
  void aChainStaysOnOneWorker() throws Exception {
    StringBuilder dockerfile = new StringBuilder("FROM busybox\n");
    for (int i = 0; i < 12; i++) {
      dockerfile.append("RUN echo link-").append(i).append(" >> /chain\n");
    }
    Map<String, Long> before = placed();
    long fetchedB = fetchedLayers(workerB);
    long fetchedC = fetchedLayers(workerC);

    KilnRun run = build(context("chain", dockerfile.toString()), temp.resolve("chain-out"));
    Map<String, Long> after = placed();

    assertEquals(0, run.exit(), run.err());
    long onB = after.get(b) - before.getOrDefault(b, 0L);
    long onC = after.get(c) - before.getOrDefault(c, 0L);
    assertTrue(onB == 12 && onC == 0 || onB == 0 && onC == 12, after + " after " + before);
    // The worker that ran the chain fetched at most the base image's layer; the other nothing.
    long movedB = fetchedLayers(workerB) - fetchedB;
    long movedC = fetchedLayers(workerC) - fetchedC;
    assertEquals(0, onB == 12 ? movedC : movedB, "the idle worker fetched nothing");
    assertTrue((onB == 12 ? movedB : movedC) <= 1, "only the base moved: " + movedB + movedC);
    assertTrue(Files.readString(temp.resolve("chain-out/chain")).endsWith("link-11\n"));
  }

  @Test
  void aStepThatFailsOnAWorkerFailsTheBuildWithItsOutput() throws Exception {
    Path context =
        context("failing", "FROM busybox\nRUN echo before-the-failure-$((6 * 7)) && exit 3\n");

    KilnRun run = build(context, temp.resolve("failing-out"));

    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("exit code: 3"), run.err());
    assertTrue(run.err().contains("before-the-failure-42"), run.err());
    assertTrue(Files.notExists(temp.resolve("failing-out")), run.err());
  }
}

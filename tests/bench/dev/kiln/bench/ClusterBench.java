package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.tests.DaemonProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster of real daemons on loopback against one daemon. Figures: a wide build of 24 stages that
 * each sleep 1 s on 3 nodes of 2 slots against 1 node of 2 slots (sleep, so that this one machine
 * can stand in for three); what placement costs per step (40-step chains on a one-node cluster and
 * on a plain daemon in turn, median of five pairs); the bytes moved between nodes by a 100-step
 * chain and by the context workload on the 3-node cluster.
 */
class ClusterBench {
  @TempDir Path temp;

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private DaemonProcess daemon(String name, String... more) throws Exception {
    Path root = temp.resolve(name);
    if (!Files.exists(root)) {
      DaemonProcess.tagBusybox(root, temp.resolve("scratch-" + name));
    }
    List<String> command =
        DaemonProcess.kiln("daemon", "--root", root.toString(), "--addr", "tcp://127.0.0.1:0");
    command.addAll(List.of(more));
    return DaemonProcess.launch(command);
  }

  private Path context(String name, String dockerfile) throws IOException {
    Path context = Files.createDirectories(temp.resolve("contexts").resolve(name));
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    return context;
  }

  private static double build(DaemonProcess daemon, Path context) throws Exception {
    Benchmarks.KilnProcess run =
        Benchmarks.kiln(
            "build", "--addr", daemon.address(), "--progress", "plain", context.toString());
    assertEquals(0, run.exit(), run.output());
    return run.seconds();
  }

  private static long fetchedBytes(DaemonProcess node) throws Exception {
    Benchmarks.KilnProcess run =
        Benchmarks.kiln("cluster", "status", "--addr", node.address(), "--format", "json");
    assertEquals(0, run.exit(), run.output());
    JsonNode status = new ObjectMapper().readTree(run.output());
    return status.path("fetched").path("bytes").asLong();
  }

  private static long fetchedBytes(List<DaemonProcess> nodes) throws Exception {
    long total = 0;
    for (DaemonProcess node : nodes) {
      total += fetchedBytes(node);
    }
    return total;
  }

  private static String wide(int stages, String tag) {
    StringBuilder dockerfile = new StringBuilder();
    for (int i = 0; i < stages; i++) {
      dockerfile.append("FROM busybox AS s").append(i).append('\n');
      dockerfile.append("RUN sleep 1 && echo ").append(tag).append(i).append(" > /out").append(i);
      dockerfile.append('\n');
    }
    dockerfile.append("FROM busybox\n");
    for (int i = 0; i < stages; i++) {
      dockerfile.append("COPY --from=s").append(i).append(" /out").append(i).append(" /\n");
    }
    return dockerfile.toString();
  }

  private static String chain(int steps, String tag) {
    StringBuilder dockerfile = new StringBuilder("FROM busybox\n");
    for (int i = 0; i < steps; i++) {
      dockerfile.append("RUN echo ").append(tag).append(i).append(" >> /chain\n");
    }
    return dockerfile.toString();
  }

  /**
   * A daemon serves builds for months: each one measured here first builds a small wide graph, so
   * that the figures are of warm JVMs, as in use.
   */
  private void warmUp(DaemonProcess daemon, String name) throws Exception {
    build(
        daemon, context("warm-" + name, wide(6, "warm-" + name + "-").replace("sleep 1", "true")));
  }

  /**
   * The time of a build of a new 40-step chain (each step a cache miss, so that a cluster claims it
   * as well as places it).
   */
  private double chainTime(DaemonProcess daemon, String name) throws Exception {
    Path context = context("chain-" + name, chain(40, name + "-"));
    Benchmarks.KilnProcess run =
        Benchmarks.kiln(
            "build", "--addr", daemon.address(), "--progress", "plain", context.toString());
    assertEquals(0, run.exit(), run.output());
    return run.seconds();
  }

  /**
   * What placement costs per step: a one-node cluster ({@code placed}) against a plain daemon
   * ({@code plain}), both up at once, building new 40-step chains in turn (so that a slow moment of
   * the machine falls on both alike); the median over five pairs, after one pair unmeasured.
   */
  private double placementMillis(DaemonProcess plain, DaemonProcess placed) throws Exception {
    chainTime(plain, "plain-warm");
    chainTime(placed, "placed-warm");
    List<Double> perStep = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      double without = chainTime(plain, "plain" + i);
      double with = chainTime(placed, "placed" + i);
      perStep.add((with - without) * 1000 / 40);
    }
    return Benchmarks.median(perStep);
  }

  @Test
  void threeNodesAgainstOneAndWhatPlacementCostsAndMoves() throws Exception {
    double single;
    double placement;
    try (DaemonProcess one = daemon("single", "--slots", "2")) {
      warmUp(one, "single");
      single = build(one, context("wide-single", wide(24, "single-")));
      try (DaemonProcess alone =
          daemon("alone", "--cluster-bind", "127.0.0.1:" + freePort(), "--slots", "2")) {
        warmUp(alone, "alone");
        placement = placementMillis(one, alone);
      }
    }
    List<DaemonProcess> nodes = new ArrayList<>();
    try {
      cluster(nodes, "", List.of("--slots", "2"));
      warmUp(nodes.get(0), "three");
      double three = build(nodes.get(0), context("wide-three", wide(24, "three-")));
      Benchmarks.report("cluster: 24 sleep-1 stages, 3 nodes x 2 slots", three, single);
      System.out.printf(
          java.util.Locale.ROOT,
          "BENCH %-58s %7.2fx (goal >= 2.7x)%n",
          "cluster: speed-up of 3x2 slots over 1x2 slots",
          single / three);
      Benchmarks.reportMillis(
          "cluster: placement per step, 40-step chains (goal < 5 ms)", placement);

      long before = fetchedBytes(nodes);
      build(nodes.get(0), context("chain-100", chain(100, "hundred-")));
      long chainMoved = fetchedBytes(nodes) - before;
      System.out.printf(
          java.util.Locale.ROOT,
          "BENCH %-58s %7d bytes (goal: none)%n",
          "cluster: bytes moved between nodes, 100-step chain",
          chainMoved);

      Path workload = context("workload", "FROM busybox\nCOPY . /ctx\nRUN du -s /ctx\n");
      java.util.Random random = new java.util.Random(42);
      for (int i = 0; i < 2_000; i++) {
        byte[] data = new byte[20_000];
        random.nextBytes(data);
        Path file = workload.resolve("d" + i % 20).resolve("f" + i);
        Files.createDirectories(file.getParent());
        Files.write(file, data);
      }
      before = fetchedBytes(nodes);
      build(nodes.get(0), workload);
      System.out.printf(
          java.util.Locale.ROOT,
          "BENCH %-58s %7d bytes%n",
          "cluster: bytes moved between nodes, context workload (40 MB)",
          fetchedBytes(nodes) - before);
    } finally {
      close(nodes);
    }
  }

  /**
   * Starts a first node with {@code first} and two workers of 2 slots joining it, all with {@code
   * common} options, into {@code nodes} (so that what started is stopped even if a start fails).
   */
  private void cluster(
      List<DaemonProcess> nodes, String prefix, List<String> first, String... common)
      throws Exception {
    String seed = "127.0.0.1:" + freePort();
    List<String> args = new ArrayList<>(List.of("--cluster-bind", seed));
    args.addAll(first);
    args.addAll(List.of(common));
    nodes.add(daemon(prefix + "a", args.toArray(String[]::new)));
    for (String name : List.of("b", "c")) {
      List<String> worker =
          new ArrayList<>(
              List.of(
                  "--cluster-bind",
                  "127.0.0.1:" + freePort(),
                  "--join",
                  seed,
                  "--role",
                  "worker",
                  "--slots",
                  "2"));
      worker.addAll(List.of(common));
      nodes.add(daemon(prefix + name, worker.toArray(String[]::new)));
    }
  }

  private static void close(List<DaemonProcess> nodes) throws InterruptedException {
    java.util.Collections.reverse(nodes); // workers first: the first node leaves last
    for (DaemonProcess node : nodes) {
      node.close();
    }
  }

  @Test
  void aKilledWorkersStepsRunElsewhere() throws Exception {
    StringBuilder dockerfile = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      dockerfile.append("FROM busybox AS s").append(i).append('\n');
      // The output says "running:yes"; the step's header shows its command, "running:$(...)".
      dockerfile.append("RUN echo running:$(echo yes) && sleep 3 && echo ").append(i);
      dockerfile.append(" > /out").append(i).append('\n');
    }
    dockerfile.append("FROM busybox\n");
    for (int i = 0; i < 4; i++) {
      dockerfile.append("COPY --from=s").append(i).append(" /out").append(i).append(" /\n");
    }
    Path context = context("failover", dockerfile.toString());
    List<DaemonProcess> nodes = new ArrayList<>();
    try {
      cluster(nodes, "f", List.of("--role", "coordinator"), "--down-after", "2s");
      dev.kiln.tests.ClientLines client =
          dev.kiln.tests.ClientLines.start(
              Benchmarks.kilnCommand(
                  "build",
                  "--addr",
                  nodes.get(0).address(),
                  "--progress",
                  "plain",
                  context.toString()));
      for (int i = 0; i < 4; i++) {
        client.await("running:yes");
      }
      long killed = System.nanoTime();
      nodes.get(1).kill();
      client.await("placing the step again");
      long again = client.await("running:yes").nanos();
      assertEquals(0, client.exit(), client.shown());
      System.out.printf(
          java.util.Locale.ROOT,
          "BENCH %-58s %7.2f s (goal < 4 s: stable-after 2 s + 2 s)%n",
          "cluster: SIGKILL of a worker to its steps running elsewhere",
          (again - killed) / 1e9);
    } finally {
      close(nodes);
    }
  }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.testing.RegistryServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's chaos test: a daemon killed with SIGKILL at 20 random points of a mixed build (two
 * stages in parallel, a chain, COPY of a context; exported to a directory, to an OCI archive and
 * pushed to a local registry, in turn), restarted each time on the same root. Every build completes
 * with the right output, and no step the journal had recorded as completed before a kill starts
 * again afterwards (the client's raw progress shows which steps were recorded and which started).
 * The kill points come from a seeded random (printed, and {@code -Dkiln.chaos.seed=N} replays one).
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ChaosTest {
  private static final int KILLS = 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path temp;

  private static String dockerfile() {
    return "FROM busybox AS left\n"
        + "ARG ROUND\n"
        + "RUN echo left-$ROUND > /left && sleep 1\n"
        + "FROM busybox AS right\n"
        + "ARG ROUND\n"
        + "RUN echo right-$ROUND > /right && sleep 1.5\n"
        + "FROM busybox AS chain\n"
        + "ARG ROUND\n"
        + "COPY ctx/ /ctx/\n"
        + "RUN cat /ctx/a > /c && echo one-$ROUND >> /c && sleep 1\n"
        + "RUN echo two-$ROUND >> /c && sleep 1\n"
        + "RUN echo three >> /c && sleep 1\n"
        + "FROM busybox\n"
        + "COPY --from=left /left /left\n"
        + "COPY --from=right /right /right\n"
        + "COPY --from=chain /c /c\n";
  }

  @Test
  void aDaemonKilledAtRandomPointsFinishesEveryBuildWithoutRerunningRecordedSteps()
      throws Exception {
    long seed = Long.getLong("kiln.chaos.seed", System.nanoTime());
    System.out.println("ChaosTest seed: " + seed + " (replay with -Dkiln.chaos.seed=" + seed + ")");
    Random random = new Random(seed);
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(context.resolve("Dockerfile"), dockerfile());
    Files.writeString(
        Files.createDirectories(context.resolve("ctx")).resolve("a"), "from the context\n");
    String address = "unix://" + temp.resolve("kiln.sock");
    int midBuild = 0;
    try (RegistryServer registry = RegistryServer.start()) {
      DaemonProcess daemon = DaemonProcess.start(root, address);
      try {
        for (int round = 0; round < KILLS; round++) {
          Round run = new Round(round, registry.host(), context, address);
          run.start();
          assertTrue(run.building.await(2, TimeUnit.MINUTES), "round " + round + " never began");
          // The kill point: up to 3.5 s into the build, whose steps take about 3 s (a chain of
          // three beside two parallel stages), then its export.
          Thread.sleep(random.nextInt(3_500));
          boolean running = run.client.isAlive();
          Set<String> recorded = run.recordedSoFar();
          daemon.kill();
          daemon = DaemonProcess.start(root, address);
          run.awaitEnd();
          String shown = "seed " + seed + ", round " + round + ":\n" + run.shown();
          assertEquals(0, run.client.exitValue(), shown);
          assertEquals(
              List.of(),
              run.startedAgain(recorded),
              "recorded steps ran again after the kill; " + shown);
          try {
            run.checkOutput();
          } catch (IOException | AssertionError e) {
            throw new AssertionError("wrong output: " + e + "; " + shown, e);
          }
          if (running) {
            midBuild++;
          }
        }
      } finally {
        daemon.close();
      }
    }
    System.out.println("ChaosTest: " + midBuild + " of " + KILLS + " kills landed mid-build");
    KilnRun check = KilnRun.of("check", "--root", root.toString());
    assertEquals(0, check.exit(), check.out() + check.err());
    assertTrue(midBuild >= KILLS / 2, "too few kills landed mid-build: " + midBuild);
  }

  /** One build through the daemon, by a client process whose raw progress is read as it comes. */
  private final class Round {
    private final int round;
    private final String registry;
    private final Path context;
    private final String address;
    private final CountDownLatch building = new CountDownLatch(1);
    private final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
    private Process client;
    private Thread reader;

    Round(int round, String registry, Path context, String address) {
      this.round = round;
      this.registry = registry;
      this.context = context;
      this.address = address;
    }

    /** The round's output: a directory, an OCI archive, or a push, in turn. */
    private List<String> outputOptions() {
      return switch (round % 3) {
        case 0 -> List.of("--output", "type=local,dest=" + temp.resolve("out-" + round));
        case 1 -> List.of("--output", "type=oci,dest=" + temp.resolve("out-" + round + ".tar"));
        default -> List.of("-t", registry + "/chaos:" + round, "--push");
      };
    }

    void start() throws IOException {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "build",
                  "--addr",
                  address,
                  "--progress",
                  "rawjson",
                  "--build-arg",
                  "ROUND=" + round));
      args.addAll(outputOptions());
      args.add(context.toString());
      client =
          new ProcessBuilder(DaemonProcess.kiln(args.toArray(String[]::new)))
              .redirectErrorStream(true)
              .start();
      client.getOutputStream().close();
      reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                    if (line.startsWith("#0 build") || line.contains("\"type\":\"started\"")) {
                      building.countDown();
                    }
                  }
                } catch (IOException e) {
                  lines.add("(reading the client failed: " + e + ")");
                } finally {
                  building.countDown();
                }
              },
              "chaos-client-" + round);
      reader.start();
    }

    /** The vertices recorded (their cache record durable) so far. */
    Set<String> recordedSoFar() {
      Set<String> recorded = new HashSet<>();
      synchronized (lines) {
        for (String line : lines) {
          event(line)
              .filter(event -> event.path("type").asText().equals("recorded"))
              .ifPresent(event -> recorded.add(event.path("vertex").asText()));
        }
      }
      return recorded;
    }

    /** Of {@code recorded}, the names of those that started again after the kill. */
    List<String> startedAgain(Set<String> recorded) {
      List<String> again = new ArrayList<>();
      boolean after = false;
      synchronized (lines) {
        for (String line : lines) {
          if (line.contains("reattaching to build")) {
            after = true;
          }
          if (after) {
            event(line)
                .filter(event -> event.path("type").asText().equals("started"))
                .filter(event -> recorded.contains(event.path("vertex").asText()))
                .ifPresent(event -> again.add(event.path("name").asText()));
          }
        }
      }
      return again;
    }

    void awaitEnd() throws Exception {
      assertTrue(client.waitFor(3, TimeUnit.MINUTES), "round " + round + " did not end");
      reader.join();
    }

    /** What the client printed. */
    String shown() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    void checkOutput() throws Exception {
      switch (round % 3) {
        case 0 -> {
          Path out = temp.resolve("out-" + round);
          assertEquals("left-" + round + "\n", Files.readString(out.resolve("left")));
          assertEquals("right-" + round + "\n", Files.readString(out.resolve("right")));
          assertEquals(
              "from the context\none-" + round + "\ntwo-" + round + "\nthree\n",
              Files.readString(out.resolve("c")));
        }
        case 1 ->
            HostTools.check(
                "skopeo", "inspect", "oci-archive:" + temp.resolve("out-" + round + ".tar"));
        default ->
            HostTools.check(
                "skopeo",
                "inspect",
                "--tls-verify=false",
                "docker://" + registry + "/chaos:" + round);
      }
    }
  }

  /** The progress event a raw line of the client holds, if it holds one. */
  private static java.util.Optional<JsonNode> event(String line) {
    if (!line.startsWith("{")) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(JSON.readTree(line));
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cli.DaemonAddress;
import dev.kiln.cli.DaemonClient;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon under load, all real: {@code kiln daemon} in its own JVM, 32 clients on loopback
 * submitting 200 builds of mixed Dockerfiles — four shared base stages, a private step per build,
 * every tenth build failing on purpose. Each build must get exactly its own result, each shared
 * step must run once (every build that uses it sees the same random token it wrote), and the daemon
 * must stay up and end the run by itself.
 */
class DaemonLoadTest {
  static final int CLIENTS = 32;
  static final int BUILDS = 200;
  static final int VARIANTS = 4;
  static final Pattern RESULT = Pattern.compile("result (id-\\d+) (variant-\\d+) ([0-9a-f]{32})");
  static final Pattern ANY_ID = Pattern.compile("id-\\d+\\b");

  @TempDir Path temp;

  private record Outcome(int exit, String output) {}

  @Test
  void thirtyTwoClientsTwoHundredBuildsEachGetTheirOwnResultAndSharedStepsRunOnce()
      throws Exception {
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);

    List<Outcome> outcomes = new ArrayList<>();
    try (DaemonProcess daemon = DaemonProcess.start(root)) {
      DaemonAddress address = DaemonAddress.parse(daemon.address());
      // The root's ended jobs from before (the set-up's) are listed too: only this run's count.
      java.util.Set<String> before = new java.util.HashSet<>();
      get(daemon.address() + "/v1/builds")
          .path("builds")
          .forEach(b -> before.add(b.path("id").asText()));
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      try {
        List<Future<Outcome>> builds = new ArrayList<>();
        for (int i = 0; i < BUILDS; i++) {
          Path context = context(i);
          builds.add(
              clients.submit(() -> build(address, context, "load-" + context.getFileName())));
        }
        // Bounded: the whole run ends by itself well within this, or the test fails.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        for (Future<Outcome> build : builds) {
          outcomes.add(build.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        }
      } finally {
        clients.shutdownNow();
      }

      assertTrue(daemon.isAlive(), "the daemon went down under load");
      JsonNode list = get(daemon.address() + "/v1/builds");
      Map<String, Integer> states = new HashMap<>();
      list.path("builds")
          .forEach(
              b -> {
                if (!before.contains(b.path("id").asText())) {
                  states.merge(b.path("state").asText(), 1, Integer::sum);
                }
              });
      assertEquals(Map.of("succeeded", BUILDS - BUILDS / 10, "failed", BUILDS / 10), states);
      assertEquals(143, daemon.stop(), "the daemon did not stop gracefully");
    }
    try (var left = Files.list(root.resolve("sessions"))) {
      assertEquals(List.of(), left.toList(), "uploads were left behind");
    }

    Map<String, String> tokens = new HashMap<>();
    for (int i = 0; i < BUILDS; i++) {
      Outcome outcome = outcomes.get(i);
      String id = "id-" + i;
      Matcher others = ANY_ID.matcher(outcome.output());
      while (others.find()) {
        assertEquals(
            id, others.group(), "build " + i + " saw another build's file:\n" + outcome.output());
      }
      if (failing(i)) {
        assertEquals(1, outcome.exit(), outcome.output());
        assertTrue(outcome.output().contains("failing " + id), outcome.output());
        assertTrue(outcome.output().contains("exit code: 7"), outcome.output());
        continue;
      }
      assertEquals(0, outcome.exit(), outcome.output());
      Matcher result = RESULT.matcher(outcome.output());
      assertTrue(result.find(), "build " + i + " has no result:\n" + outcome.output());
      assertEquals(id, result.group(1));
      assertEquals("variant-" + i % VARIANTS, result.group(2));
      String first = tokens.putIfAbsent(result.group(2), result.group(3));
      assertTrue(
          first == null || first.equals(result.group(3)),
          "the shared step of " + result.group(2) + " ran more than once");
    }
    assertEquals(VARIANTS, tokens.size());

    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      for (int i = 0; i < BUILDS; i++) {
        String image = "docker.io/library/load-" + i + ":latest";
        assertEquals(!failing(i), engine.images().find(image).isPresent(), image);
      }
    }
  }

  private static boolean failing(int i) {
    return i % 10 == 7;
  }

  /**
   * Build {@code i}'s context: its own id file, a base stage shared by every fourth build (it
   * writes a random token, so a second run would show), and a private step.
   */
  private Path context(int i) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(String.valueOf(i)));
    Files.writeString(dir.resolve("id.txt"), "id-" + i + "\n");
    int variant = i % VARIANTS;
    String privateStep =
        failing(i)
            ? "RUN echo \"failing $(cat /id.txt)\" && exit 7\n"
            : "RUN echo \"result $(cat /id.txt) $(cat /variant) $(cat /token)\"\n";
    Files.writeString(
        dir.resolve("Dockerfile"),
        "FROM busybox AS base\n"
            + "RUN sleep 1 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /token"
            + " && echo variant-"
            + variant
            + " > /variant\n"
            + "FROM base\n"
            + "COPY id.txt /id.txt\n"
            + privateStep);
    return dir;
  }

  private static Outcome build(DaemonAddress address, Path context, String tag) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit =
        DaemonClient.build(
            address, DaemonClient.Job.of(context, List.of("--tag", tag)), "plain", err);
    return new Outcome(exit, bytes.toString(StandardCharsets.UTF_8));
  }

  private static JsonNode get(String address) throws Exception {
    URI uri = URI.create(address.replace("tcp://", "http://"));
    try (var in = uri.toURL().openStream()) {
      return new ObjectMapper().readTree(in);
    }
  }
}

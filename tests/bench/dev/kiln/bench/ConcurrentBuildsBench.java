package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.cli.DaemonAddress;
import dev.kiln.cli.DaemonClient;
import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import dev.kiln.tests.DaemonProcess;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's {@code concurrent16} workload: 16 builds at once that share one CPU-bound step of
 * about 3.4 s (a busybox shell loop) and each add a step of their own. Against one such build alone
 * on a fresh root in the same run: the shared step must run once, so the 16 should take about as
 * long as one. Embedded engine, 16 concurrent solves; then 16 clients of a daemon.
 */
class ConcurrentBuildsBench {
  static final String SHARED =
      "FROM busybox AS shared\n"
          + "RUN i=0; while [ $i -lt 3400000 ]; do i=$((i+1)); done; echo $i > /spun;"
          + " cat /proc/sys/kernel/random/uuid > /run-id\n";

  @TempDir Path temp;

  @Test
  void sixteenBuildsSharingOneSlowStepRunItOnce() throws Exception {
    BuildOptions options =
        BuildOptions.defaults().withNamedContexts(Map.of("busybox", BusyboxLayout.identifier()));
    double alone;
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("alone")))) {
      Benchmarks.solve(engine, convert(engine, "FROM busybox\n", options)); // imports the base
      alone = Benchmarks.time(engine, convert(engine, build(0), options));
    }
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("sixteen")))) {
      Benchmarks.solve(engine, convert(engine, "FROM busybox\n", options));
      List<Definition> definitions = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        definitions.add(convert(engine, build(i), options));
      }
      long start = System.nanoTime();
      List<CompletableFuture<Outcome>> running = new ArrayList<>();
      for (Definition definition : definitions) {
        running.add(engine.solve(definition, event -> {}).toCompletableFuture());
      }
      List<Outcome.Solved> solved = new ArrayList<>();
      for (CompletableFuture<Outcome> outcome : running) {
        solved.add((Outcome.Solved) outcome.get(5, TimeUnit.MINUTES));
      }
      double sixteen = Benchmarks.seconds(start);

      // Each run of the shared step draws a new id: one id in all 16 results means one run.
      java.util.Set<String> runs = new java.util.HashSet<>();
      for (int i = 0; i < 16; i++) {
        Path out = Benchmarks.export(engine, solved.get(i), temp.resolve("out" + i));
        assertEquals("3400000\n", Files.readString(out.resolve("spun")));
        assertEquals("build " + i + "\n", Files.readString(out.resolve("me")));
        runs.add(Files.readString(out.resolve("run-id")));
      }
      assertEquals(1, runs.size(), "the shared step ran " + runs.size() + " times");
      Benchmarks.report("baseline: one build with the 3.4 s shared step, alone", alone, alone);
      Benchmarks.report("concurrent16: 16 builds sharing it (goal <= 4 s)", sixteen, alone);
    }
    double daemon = throughTheDaemon();
    Benchmarks.report("concurrent16 through the daemon: 16 clients, Unix socket", daemon, alone);
  }

  /**
   * The same 16 builds as 16 clients of a daemon (in this JVM, on a Unix socket, a fresh root),
   * each showing the shared step's run id in its own step's log; seconds from the first request to
   * the last result (no export, as for the embedded figure).
   */
  private double throughTheDaemon() throws Exception {
    Path root = temp.resolve("daemon");
    DaemonProcess.tagBusybox(root, temp);
    try (Engine engine = Engine.start(EngineConfig.at(root));
        DaemonServer server =
            DaemonServer.start(
                engine,
                root,
                DaemonAddress.parse("unix://" + temp.resolve("kiln.sock")),
                1 << 30)) {
      List<Path> contexts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Path context = Files.createDirectories(temp.resolve("context" + i));
        Files.writeString(context.resolve("Dockerfile"), build(i));
        contexts.add(context);
      }
      // As for the embedded runs: the base is unpacked once before the clock starts.
      Path warm = Files.createDirectories(temp.resolve("warm"));
      Files.writeString(warm.resolve("Dockerfile"), "FROM busybox\nRUN true\n");
      assertEquals(
          0,
          DaemonClient.build(
              server.address(),
              DaemonClient.Job.of(warm, List.of()),
              "quiet",
              new PrintStream(OutputStream.nullOutputStream())));
      ExecutorService clients = Executors.newFixedThreadPool(16);
      long start = System.nanoTime();
      List<Future<String>> outputs = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Path context = contexts.get(i);
        outputs.add(
            clients.submit(
                () -> {
                  var bytes = new java.io.ByteArrayOutputStream();
                  int exit =
                      DaemonClient.build(
                          server.address(),
                          DaemonClient.Job.of(context, List.of()),
                          "plain",
                          new PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
                  String output = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
                  assertEquals(0, exit, output);
                  return output;
                }));
      }
      java.util.Set<String> runs = new java.util.HashSet<>();
      java.util.regex.Pattern run = java.util.regex.Pattern.compile("run ([0-9a-f-]{36})");
      for (Future<String> output : outputs) {
        java.util.regex.Matcher id = run.matcher(output.get(5, TimeUnit.MINUTES));
        org.junit.jupiter.api.Assertions.assertTrue(id.find(), "no run id");
        runs.add(id.group(1));
      }
      double seconds = Benchmarks.seconds(start);
      clients.shutdown();
      assertEquals(1, runs.size(), "through the daemon the shared step ran " + runs.size());
      return seconds;
    }
  }

  private static String build(int i) {
    return SHARED
        + "FROM busybox\nCOPY --from=shared /spun /run-id /\nRUN echo build "
        + i
        + " > /me && echo \"run $(cat /run-id)\"\n";
  }

  private static Definition convert(Engine engine, String dockerfile, BuildOptions options) {
    return DockerfileConverter.convert(
            DockerfileParser.parse(dockerfile, "Dockerfile"), options, engine::imageConfig)
        .definition();
  }
}

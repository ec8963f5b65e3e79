package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's {@code concurrent16} workload: 16 builds at once that share one CPU-bound step of
 * about 3.4 s (a busybox shell loop) and each add a step of their own. Against one such build alone
 * on a fresh root in the same run: the shared step must run once, so the 16 should take about as
 * long as one. Embedded engine, 16 concurrent solves (the daemon will add its API on top).
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
  }

  private static String build(int i) {
    return SHARED
        + "FROM busybox\nCOPY --from=shared /spun /run-id /\nRUN echo build "
        + i
        + " > /me\n";
  }

  private static Definition convert(Engine engine, String dockerfile, BuildOptions options) {
    return DockerfileConverter.convert(
            DockerfileParser.parse(dockerfile, "Dockerfile"), options, engine::imageConfig)
        .definition();
  }
}

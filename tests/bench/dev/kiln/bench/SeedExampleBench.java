package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/seed, the README's main example, built cold: the 10 s and 15 s stages must overlap, the
 * result must hold both files, and a rebuild in the same process must run nothing. The build time
 * is printed against the 15 s of the longer stage, the least any schedule can take; then the
 * rebuild in the same engine and, after a restart on the same root, the fully cached rebuild.
 */
class SeedExampleBench {
  @TempDir Path temp;

  @Test
  void stagesOverlapAndARebuildRunsNothing() throws Exception {
    Path dockerfile = BusyboxLayout.repositoryRoot().resolve("examples/seed/Dockerfile");
    BuildOptions options =
        BuildOptions.defaults().withNamedContexts(Map.of("busybox", BusyboxLayout.identifier()));
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
      long start = System.nanoTime();
      Definition definition = convert(engine, dockerfile, options);
      List<ProgressEvent> cold = new CopyOnWriteArrayList<>();
      Outcome.Solved solved = Benchmarks.solve(engine, definition, cold::add);
      double seconds = (System.nanoTime() - start) / 1e9;
      Path out = Benchmarks.export(engine, solved, temp.resolve("out"));
      assertEquals("built by stage 1\n", Files.readString(out.resolve("opt/stage1")));
      assertEquals("built by stage 2\n", Files.readString(out.resolve("opt/stage2")));
      assertTrue(
          Benchmarks.firstIndex(cold, ProgressEvent.VertexStarted.class, "[stage2")
              < Benchmarks.firstIndex(cold, ProgressEvent.VertexCompleted.class, "[stage1"),
          "stage 2 started only after stage 1 ended");

      List<ProgressEvent> warm = new CopyOnWriteArrayList<>();
      long warmStart = System.nanoTime();
      Benchmarks.solve(engine, definition, warm::add);
      double warmSeconds = Benchmarks.seconds(warmStart);
      assertEquals(0, warm.stream().filter(e -> e instanceof ProgressEvent.VertexStarted).count());
      Benchmarks.report("examples/seed Dockerfile, cold (goal < 15.3 s)", seconds, 15.0);
      Benchmarks.report("examples/seed rebuilt in the same engine", warmSeconds, 15.0);
    }
    // A restart: a new engine on the same root finds every step in the persistent cache.
    long restart = System.nanoTime();
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
      Definition definition = convert(engine, dockerfile, options);
      List<ProgressEvent> events = new CopyOnWriteArrayList<>();
      Benchmarks.solve(engine, definition, events::add);
      double seconds = Benchmarks.seconds(restart);
      assertEquals(
          0, events.stream().filter(e -> e instanceof ProgressEvent.VertexStarted).count());
      Benchmarks.report(
          "examples/seed after an engine restart, all cached (goal <= 0.3 s)", seconds, 15.0);
    }
    // End to end: the kiln command in a JVM of its own, against the JVM start-up of `kiln
    // --version`.
    double jvm = Benchmarks.kiln("--version").seconds();
    Benchmarks.KilnProcess cli =
        Benchmarks.kiln(
            "build",
            "--root",
            temp.resolve("root").toString(),
            "--progress",
            "plain",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            dockerfile.getParent().toString());
    assertEquals(0, cli.exit(), cli.output());
    assertTrue(!cli.output().contains(" DONE") && cli.output().contains(" CACHED"), cli.output());
    Benchmarks.report("baseline: kiln --version (JVM start)", jvm, jvm);
    Benchmarks.report("kiln build examples/seed, all cached, new JVM", cli.seconds(), jvm);
  }

  private static Definition convert(Engine engine, Path dockerfile, BuildOptions options)
      throws Exception {
    return DockerfileConverter.convert(
            DockerfileParser.parse(Files.readString(dockerfile), "Dockerfile"),
            options,
            engine::imageConfig)
        .definition();
  }
}

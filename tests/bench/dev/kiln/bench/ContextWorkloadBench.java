package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's {@code context} workload: 20,000 small files and 5 × 100 MB in the build context,
 * {@code COPY . /ctx}; built cold, again unchanged, and with one small file changed, against {@code
 * cp -a} of the same tree measured in the same run.
 */
class ContextWorkloadBench {
  @TempDir Path temp;

  @Test
  void copyingABigContextColdUnchangedAndWithOneFileChanged() throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    Random random = new Random(42);
    for (int d = 0; d < 200; d++) {
      Path dir = Files.createDirectories(context.resolve("src/d" + d));
      for (int f = 0; f < 100; f++) {
        byte[] bytes = new byte[200 + random.nextInt(800)];
        random.nextBytes(bytes);
        Files.write(dir.resolve("f" + f + ".txt"), bytes);
      }
    }
    byte[] block = new byte[1 << 20];
    for (int b = 0; b < 5; b++) {
      try (var out = Files.newOutputStream(context.resolve("blob" + b + ".bin"))) {
        for (int i = 0; i < 100; i++) {
          random.nextBytes(block);
          out.write(block);
        }
      }
    }
    Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY . /ctx\n");

    // Every measured run starts with nothing left to write back: the context was just written, and
    // each run's own writes must not be paid for by the next one.
    sync();
    long start = System.nanoTime();
    Process cp =
        new ProcessBuilder("cp", "-a", context.toString(), temp.resolve("cp-copy").toString())
            .inheritIO()
            .start();
    cp.waitFor(5, TimeUnit.MINUTES);
    assertEquals(0, cp.exitValue());
    double baseline = Benchmarks.seconds(start);
    sync();

    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
      Definition definition =
          DockerfileConverter.convert(
                  DockerfileParser.parse("FROM scratch\nCOPY . /ctx\n", "Dockerfile"),
                  BuildOptions.defaults(),
                  engine::imageConfig)
              .definition();
      Map<String, Path> locals = Map.of("context", context);

      double cold = time(engine, definition, locals, 1);
      sync();
      double unchanged = time(engine, definition, locals, 0);
      Files.writeString(context.resolve("src/d7/f7.txt"), "changed\n");
      sync();
      double changed = time(engine, definition, locals, 1);

      Path out =
          Benchmarks.export(
              engine,
              Benchmarks.solve(engine, definition, locals, event -> {}),
              temp.resolve("out"));
      assertEquals("changed\n", Files.readString(out.resolve("ctx/src/d7/f7.txt")));
      assertEquals(100 << 20, Files.size(out.resolve("ctx/blob4.bin")));

      Benchmarks.report(
          "baseline: cp -a of the context (20,000 files + 500 MB)", baseline, baseline);
      Benchmarks.report("COPY . /ctx cold (goal <= 3 s)", cold, baseline);
      Benchmarks.report("COPY . /ctx unchanged", unchanged, baseline);
      Benchmarks.report("COPY . /ctx, one file changed (goal <= 1.5 s)", changed, baseline);
    }
  }

  private static void sync() throws Exception {
    Process sync = new ProcessBuilder("sync").inheritIO().start();
    sync.waitFor(5, TimeUnit.MINUTES);
    assertEquals(0, sync.exitValue());
  }

  /** Seconds to solve, checking that {@code runs} steps executed (the rest came from cache). */
  private static double time(
      Engine engine, Definition definition, Map<String, Path> locals, int copies) throws Exception {
    List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    long start = System.nanoTime();
    engine.solve(definition, locals, events::add).toCompletableFuture().get(5, TimeUnit.MINUTES);
    double seconds = Benchmarks.seconds(start);
    long copied =
        events.stream()
            .filter(e -> e instanceof ProgressEvent.VertexStarted s && s.name().contains("COPY"))
            .count();
    assertEquals(copies, copied, events.toString());
    return seconds;
  }
}

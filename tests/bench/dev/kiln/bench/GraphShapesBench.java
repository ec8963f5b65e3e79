package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two graph shapes on busybox: 64 independent steps, and a chain of 100. Prints wall
 * times, with engine start-up reported separately and a one-step build of the same engine as the
 * baseline measured in the same run. Asserts only what the builds produced.
 */
class GraphShapesBench {
  @TempDir Path temp;

  @Test
  void wideAndDeepGraphs() throws Exception {
    String base = BusyboxLayout.identifier();
    long startup = System.nanoTime();
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
      double startupSeconds = Benchmarks.seconds(startup);
      State busybox = State.source(base);
      Benchmarks.solve(
          engine, busybox.definition()); // imports the base image once, outside the timings

      double oneStep =
          Benchmarks.time(engine, busybox.run("sh", "-c", "echo 1 > /one").definition());

      List<State> branches = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        branches.add(busybox.run("sh", "-c", "echo " + i + " > /w" + i));
      }
      Definition wide = State.merge(branches.toArray(State[]::new)).definition();
      double wideSeconds = Benchmarks.time(engine, wide);

      State chain = busybox;
      for (int i = 0; i < 100; i++) {
        chain = chain.run("sh", "-c", "echo " + i + " >> /chain");
      }
      double chainSeconds = Benchmarks.time(engine, chain.definition());

      Path wideOut = Benchmarks.export(engine, wide, temp.resolve("wide"));
      for (int i = 0; i < 64; i++) {
        assertEquals(i + "\n", Files.readString(wideOut.resolve("w" + i)));
      }
      Path chainOut = Benchmarks.export(engine, chain.definition(), temp.resolve("chain"));
      assertEquals(100, Files.readAllLines(chainOut.resolve("chain")).size());

      Benchmarks.report("engine start-up", startupSeconds, oneStep);
      Benchmarks.report("baseline: one exec step", oneStep, oneStep);
      Benchmarks.report(
          "wide: 64 independent exec vertices + merge (goal < 2 s)", wideSeconds, oneStep);
      Benchmarks.report("deep: chain of 100 exec vertices (goal < 3 s)", chainSeconds, oneStep);
      assertTrue(wideSeconds > 0 && chainSeconds > 0);
    }
  }
}

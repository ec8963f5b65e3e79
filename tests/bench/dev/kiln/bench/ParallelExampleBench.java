package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.local.LocalExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/parallel as users run it: a 10 s and a 15 s branch on busybox and their merge. The
 * branches must overlap (the second starts before the first ends); the wall time is printed against
 * the 15 s of the longer branch, the least any schedule can take.
 */
class ParallelExampleBench {
  @TempDir Path temp;

  @Test
  void branchesOverlapAndBothFilesAreInTheOutput() throws Exception {
    BusyboxLayout.path();
    Path graph = BusyboxLayout.repositoryRoot().resolve("examples/parallel/graph.json");
    List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    try (Engine engine = Engine.start(EngineConfig.at(temp.resolve("root")))) {
      long start = System.nanoTime();
      Outcome outcome =
          engine
              .solve(DefinitionReader.read(graph), events::add)
              .toCompletableFuture()
              .get(2, TimeUnit.MINUTES);
      double wall = (System.nanoTime() - start) / 1e9;
      var snapshot = ((SnapshotResult) ((Outcome.Solved) outcome).result()).snapshot();
      Path out = temp.resolve("out");
      new LocalExporter(out).export(ExportInput.of(engine, snapshot));
      assertTrue(Files.readString(out.resolve("ten.txt")).contains("slept 10 s"));
      assertTrue(Files.readString(out.resolve("fifteen.txt")).contains("slept 15 s"));
      int startedFifteen =
          Benchmarks.firstIndex(events, ProgressEvent.VertexStarted.class, "[branch 2/2]");
      int doneTen =
          Benchmarks.firstIndex(events, ProgressEvent.VertexCompleted.class, "[branch 1/2]");
      assertTrue(startedFifteen < doneTen, "the 15 s branch started only after the 10 s one ended");
      Benchmarks.report("examples/parallel, 10 s + 15 s branches (goal < 15.5 s)", wall, 15.0);
    }
  }
}

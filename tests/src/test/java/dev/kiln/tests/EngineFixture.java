package dev.kiln.tests;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.local.LocalExporter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A real embedded engine on a temporary root, with the progress of each build recorded. */
final class EngineFixture implements AutoCloseable {
  final Path root;
  final Engine engine;

  /** One build's outcome and every event it reported. */
  record Build(Outcome outcome, List<ProgressEvent> events) {
    Snapshot snapshot() {
      if (outcome instanceof Outcome.SolveFailed failed) {
        throw new AssertionError("build failed: " + failed.error().render());
      }
      return ((SnapshotResult) ((Outcome.Solved) outcome).result()).snapshot();
    }

    String error() {
      return ((Outcome.SolveFailed) outcome).error().render();
    }

    long count(Class<? extends ProgressEvent> type) {
      return events.stream().filter(type::isInstance).count();
    }
  }

  EngineFixture(EngineConfig config) throws Exception {
    this.root = config.root();
    this.engine = Engine.start(config);
  }

  Build solve(Definition definition) throws Exception {
    List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    Outcome outcome =
        engine.solve(definition, events::add).toCompletableFuture().get(5, TimeUnit.MINUTES);
    return new Build(outcome, List.copyOf(events));
  }

  Path exportTo(Build build, Path dir) throws Exception {
    new LocalExporter(dir).export(ExportInput.of(engine, build.snapshot()));
    return dir;
  }

  @Override
  public void close() throws Exception {
    engine.close();
  }
}

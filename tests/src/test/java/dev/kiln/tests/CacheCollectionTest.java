package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.Collector;
import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.snapshot.Layer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The automatic cache collection of a real engine: never while a build holds the cache. */
class CacheCollectionTest {
  @TempDir Path temp;

  private static Definition twoSteps(String text) {
    return State.source("scratch")
        .file(List.of(new FileAction.Mkfile("/a", 0644, text, Optional.empty())))
        .file(List.of(new FileAction.Mkfile("/b", 0644, text + text, Optional.empty())))
        .definition();
  }

  private long committedLayers() throws Exception {
    try (Stream<Path> entries = Files.list(temp.resolve("root/snapshots"))) {
      return entries.filter(p -> p.getFileName().toString().matches("\\d+")).count();
    }
  }

  @Test
  void collectsUnderItsLimitOnlyOnceNoBuildOrExportHoldsTheCache() throws Exception {
    EngineConfig config =
        EngineConfig.at(temp.resolve("root"))
            .withGc(Optional.of(new GcPolicy(Optional.of(0L), Optional.empty(), Optional.empty())));
    Layer kept;
    try (EngineFixture fixture = new EngineFixture(config)) {
      Collector.Lease export = fixture.engine.lease();
      EngineFixture.Build build = fixture.solve(twoSteps("x"));
      kept = build.snapshot().layers().get(0);
      assertFalse(fixture.engine.cacheRecords().isEmpty());
      assertTrue(Files.isDirectory(kept.dir()), "collected while an export held the cache");
      assertEquals(Optional.empty(), fixture.engine.lastCollection());
      export.close();
    } // closing waits for the collection the last lease started
    try (EngineFixture fixture = new EngineFixture(EngineConfig.at(temp.resolve("root")))) {
      assertEquals(List.of(), fixture.engine.cacheRecords());
      assertEquals(List.of(), fixture.engine.startReport(), "a record outlived its layers");
      assertEquals(0, committedLayers());
      EngineFixture.Build again = fixture.solve(twoSteps("x"));
      assertEquals(3, again.count(dev.kiln.engine.progress.ProgressEvent.VertexStarted.class));
    }
  }

  @Test
  void aGenerousLimitKeepsEverything() throws Exception {
    EngineConfig config =
        EngineConfig.at(temp.resolve("root"))
            .withGc(
                Optional.of(
                    new GcPolicy(Optional.of(1L << 30), Optional.empty(), Optional.empty())));
    try (EngineFixture fixture = new EngineFixture(config)) {
      fixture.solve(twoSteps("y"));
    }
    try (EngineFixture fixture = new EngineFixture(EngineConfig.at(temp.resolve("root")))) {
      EngineFixture.Build again = fixture.solve(twoSteps("y"));
      assertEquals(0, again.count(dev.kiln.engine.progress.ProgressEvent.VertexStarted.class));
    }
  }
}

package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged job journal (issue 8's bad input): a segment with flipped bits, one cut short, a
 * snapshot whose events are gone. Each is said clearly or is what a crash leaves; nothing else is
 * lost (the cache still answers), and builds go on.
 */
class JournalDamageTest {
  @TempDir Path root;

  private static Definition definition() throws Exception {
    return State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo d > /d").definition();
  }

  /** Runs the build as a finished job; the progress events it made. */
  private static List<ProgressEvent> run(Engine engine, Definition definition) throws Exception {
    List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    Engine.JobRun run =
        engine.start(
            definition,
            BuildInputs.locals(Map.of()),
            events::add,
            new JobEvent.BuildAccepted(
                BuildId.next(),
                "definition",
                Map.of(),
                List.of(),
                List.of(),
                "test",
                "/work",
                Instant.now()),
            false);
    Outcome outcome = run.running().outcome().toCompletableFuture().get(2, TimeUnit.MINUTES);
    Outcome.Solved solved = assertInstanceOf(Outcome.Solved.class, outcome);
    run.finished(solved.key().digest());
    return events;
  }

  private void threeBuilds() throws Exception {
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      for (int i = 0; i < 3; i++) {
        run(engine, definition());
      }
    }
  }

  private Path log() throws Exception {
    try (var files = Files.list(root.resolve("journal"))) {
      return files.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
    }
  }

  private static boolean ranNothing(List<ProgressEvent> events) {
    return events.stream().noneMatch(e -> e instanceof ProgressEvent.VertexStarted);
  }

  @Test
  void aSegmentWithFlippedBitsIsKeptAsideAndNamedAndBuildsGoOn() throws Exception {
    threeBuilds();
    Path log = log();
    byte[] damaged = Files.readAllBytes(log);
    damaged[damaged.length / 2] ^= 0x10;
    Files.write(log, damaged);

    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      String warning = String.join("\n", engine.startReport());
      assertTrue(warning.contains(log + " is damaged (checksum mismatch"), warning);
      assertTrue(warning.contains("move " + root.resolve("journal") + " away"), warning);
      try (var kept = Files.list(root.resolve("journal-damaged"))) {
        Path copy = kept.findFirst().orElseThrow();
        assertTrue(warning.contains(copy.toString()), warning);
        assertArrayEquals(damaged, Files.readAllBytes(copy), "the damaged bytes are kept");
      }
      assertTrue(ranNothing(run(engine, definition())), "the cache is not affected");
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(List.of(), engine.startReport(), "LevelDB dropped it once: no damage now");
      assertTrue(engine.jobs().size() >= 1, "the new build's job is there");
    }
  }

  @Test
  void aSegmentCutShortIsWhatACrashLeavesAndLosesOnlyItsTail() throws Exception {
    threeBuilds();
    Path log = log();
    byte[] whole = Files.readAllBytes(log);
    Files.write(log, java.util.Arrays.copyOf(whole, whole.length - 40));

    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(List.of(), engine.startReport());
      assertEquals(3, engine.jobs().size(), "only the last event was cut: " + engine.jobs());
      assertTrue(ranNothing(run(engine, definition())));
    }
  }

  @Test
  void aJobWhoseSnapshotOutlivedItsEventsGoesOnFromTheSnapshot() throws Exception {
    BuildId id = BuildId.next();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Jobs.Open open =
          Jobs.of(engine.actorSystem())
              .open(
                  new JobEvent.BuildAccepted(
                      id, "definition", Map.of(), List.of(), List.of(), "t", "/w", Instant.now()),
                  false);
      // Enough events for a snapshot (one every 100).
      for (int i = 0; i < BuildJob.SNAPSHOT_EVERY + 10; i++) {
        open.record(
            new JobEvent.VertexCompleted(
                dev.kiln.engine.graph.Digest.sha256("v" + i),
                dev.kiln.engine.graph.Digest.sha256("k" + i),
                List.of(),
                Instant.now()));
      }
    }
    // The journal is lost (a disk replaced, a careless clean-up); the snapshots are not.
    dev.kiln.engine.snapshot.FileTrees.deleteRecursively(root.resolve("journal"));

    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      JobState job = engine.job(id);
      assertEquals(JobState.Status.RUNNING, job.status(), "the snapshot's state");
      // The snapshot at event 100: the acceptance and 99 steps.
      assertEquals(BuildJob.SNAPSHOT_EVERY - 1, job.completed().size());
      Jobs.Open open = Jobs.of(engine.actorSystem()).open(job.accepted().orElseThrow(), true);
      open.end(new JobEvent.BuildCancelled("test", Instant.now())).toCompletableFuture().get();
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(
          JobState.Status.CANCELLED, engine.job(id).status(), "events after the snapshot count");
    }
  }
}

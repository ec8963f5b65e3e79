package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineJobTest {
  @TempDir Path root;

  private static JobEvent.BuildAccepted accepted(BuildId id) {
    return new JobEvent.BuildAccepted(
        id,
        "definition",
        Map.of(),
        List.of("--target", "x"),
        List.of(),
        "test",
        "/work",
        java.time.Instant.now());
  }

  private static Outcome run(Engine engine, Definition definition, BuildId id) throws Exception {
    return run(engine, definition, id, false);
  }

  /** Runs the build as a job with no output: a solved one's job ends as finished at once. */
  private static Outcome run(Engine engine, Definition definition, BuildId id, boolean resume)
      throws Exception {
    Engine.JobRun run =
        engine.start(definition, BuildInputs.locals(Map.of()), event -> {}, accepted(id), resume);
    Outcome outcome = run.running().outcome().toCompletableFuture().get(2, TimeUnit.MINUTES);
    if (outcome instanceof Outcome.Solved solved) {
      run.finished(solved.key().digest());
    }
    return outcome;
  }

  @Test
  void aBuildIsJournaledAsAJobThatOutlivesItsEngine() throws Exception {
    BuildId id = BuildId.next();
    State first = State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo job > /job");
    // A step is done once its record is durable; its journal event follows without the build
    // waiting for it, so the second step gives the first's event time to land.
    Definition definition = first.run("sh", "-c", "sleep 1").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertInstanceOf(Outcome.Solved.class, run(engine, definition, id));
    }

    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      JobState job = engine.job(id);
      assertEquals(JobState.Status.FINISHED, job.status());
      assertEquals(List.of("--target", "x"), job.accepted().orElseThrow().options());
      var stored = job.accepted().orElseThrow().inputs().get("definition");
      assertTrue(engine.content().has(stored), "the definition is in the content store");
      var recorded = job.completed().get(first.definition().root().vertex());
      assertTrue(recorded != null, "the step that ran is recorded: " + job.completed());
      assertTrue(engine.cacheRecord(recorded.cacheKey()).isPresent(), "its record is in the cache");
      assertEquals(JobState.NEW, engine.job(BuildId.next()));
      assertEquals(
          List.of(id),
          engine.jobs().stream().map(j -> j.accepted().orElseThrow().build()).toList());
      // Its closing, which the build's end does not wait for, was written before the engine
      // closed: the history names it, and the index does not.
      assertEquals(List.of(id), engine.endedJobs().stream().map(JobSummary::build).toList());
      assertEquals(List.of(), engine.unfinishedJobIds());
    }
  }

  @Test
  void aFailedBuildsJobNamesTheVertexAndAnIdIsAcceptedOnce() throws Exception {
    BuildId id = BuildId.next();
    Definition failing =
        State.source(BusyboxLayout.identifier()).run("sh", "-c", "exit 3").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertInstanceOf(Outcome.SolveFailed.class, run(engine, failing, id));
      JobState job = engine.job(id);
      assertEquals(JobState.Status.FAILED, job.status());
      var failed = (JobEvent.BuildFailed) job.end().orElseThrow();
      assertEquals(failing.root().vertex(), failed.vertex().orElseThrow());

      IOException again = assertThrows(IOException.class, () -> run(engine, failing, id));
      assertTrue(again.getMessage().contains("accepted already"), again.getMessage());
    }
  }

  @Test
  void anInterruptedJobResumesToItsEndAndOnlyAnInterruptedOneDoes() throws Exception {
    BuildId id = BuildId.next();
    Definition definition =
        State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo resumed > /r").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      // A job accepted and never ended: what a process killed mid-build leaves.
      Jobs.of(engine.actorSystem()).open(accepted(id), false);
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(JobState.Status.RUNNING, engine.job(id).status());
      assertInstanceOf(Outcome.Solved.class, run(engine, definition, id, true));
      assertEquals(JobState.Status.FINISHED, engine.job(id).status());

      IOException finished =
          assertThrows(IOException.class, () -> run(engine, definition, id, true));
      assertTrue(
          finished.getMessage().contains("is not interrupted: it finished"), finished.getMessage());
      BuildId unknown = BuildId.next();
      IOException none =
          assertThrows(IOException.class, () -> run(engine, definition, unknown, true));
      assertTrue(none.getMessage().contains("has no job here"), none.getMessage());
    }
  }

  @Test
  void unfinishedJobsAreFoundThroughTheIndexAndLeaveItWhenTheyEnd() throws Exception {
    BuildId interrupted = BuildId.next();
    BuildId finished = BuildId.next();
    Definition definition =
        State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo index > /i").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Jobs.of(engine.actorSystem()).open(accepted(interrupted), false);
      assertInstanceOf(Outcome.Solved.class, run(engine, definition, finished));
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(
          List.of(interrupted),
          engine.unfinishedJobs().stream().map(j -> j.accepted().orElseThrow().build()).toList());
      assertInstanceOf(Outcome.Solved.class, run(engine, definition, interrupted, true));
      assertEquals(List.of(), engine.unfinishedJobs());
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(List.of(), engine.unfinishedJobs(), "the index's state outlives its process");
      assertEquals(2, engine.jobs().size(), "the index is no job: " + engine.jobs());
    }
  }

  @Test
  void endedJobsAreListedFromTheHistoryAndErasedOnceTheirRetentionIsOver() throws Exception {
    BuildId ended = BuildId.next();
    State step = State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo kept > /k");
    int records;
    BuildId interrupted;
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertInstanceOf(Outcome.Solved.class, run(engine, step.definition(), ended));
      interrupted = BuildId.next(); // a later millisecond: ids sort by time
      Jobs.of(engine.actorSystem()).open(accepted(interrupted), false);
      Jobs.of(engine.actorSystem()).eraseDue();

      List<JobSummary> listed = engine.listJobs();
      assertEquals(List.of(ended, interrupted), listed.stream().map(JobSummary::build).toList());
      assertEquals(JobState.Status.FINISHED, listed.get(0).status());
      assertEquals("definition: --target x", listed.get(0).description());
      assertTrue(listed.get(0).ended().isPresent(), "when it ended: " + listed.get(0));
      assertEquals(JobState.Status.RUNNING, listed.get(1).status());
      assertTrue(listed.get(1).ended().isEmpty(), "it has not ended: " + listed.get(1));
      assertEquals(JobState.Status.FINISHED, engine.job(ended).status(), "within its 48 hours");
      records = engine.cacheRecords().size();
    }
    try (Engine engine =
        Engine.start(EngineConfig.at(root).withKeepJobs(java.time.Duration.ZERO))) {
      Jobs.of(engine.actorSystem()).eraseDue();

      assertEquals(JobState.NEW, engine.job(ended), "its events stayed");
      assertEquals(
          List.of(interrupted), engine.listJobs().stream().map(JobSummary::build).toList());
      assertEquals(JobState.Status.RUNNING, engine.job(interrupted).status(), "never erased");
      assertEquals(records, engine.cacheRecords().size(), "erasing jobs leaves the cache");
    }
  }

  @Test
  void aSolvedBuildsJobStaysOpenUntilItsOutputsAreWrittenAndRecordsThem() throws Exception {
    BuildId id = BuildId.next();
    Definition definition =
        State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo out > /o").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Engine.JobRun run =
          engine.start(definition, BuildInputs.locals(Map.of()), event -> {}, accepted(id), false);
      Outcome.Solved solved =
          (Outcome.Solved) run.running().outcome().toCompletableFuture().get(2, TimeUnit.MINUTES);
      // Solved, not yet exported: a crash now leaves a job to resume, whose outputs get written.
      assertEquals(JobState.Status.RUNNING, engine.job(id).status());
      run.exported("type=local,dest=out", java.util.Optional.empty());
      run.finished(solved.key().digest());
      JobState job = engine.job(id);
      assertEquals(JobState.Status.FINISHED, job.status());
      assertEquals(
          List.of("type=local,dest=out"), job.exports().stream().map(e -> e.output()).toList());
      assertEquals(List.of(), engine.unfinishedJobs());
    }
  }

  @Test
  void aNewBuildOfAnInterruptedBuildsDefinitionIsToldOfIt() throws Exception {
    BuildId interrupted = BuildId.next();
    Definition definition =
        State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo twin > /t").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Engine.JobRun first =
          engine.start(
              definition, BuildInputs.locals(Map.of()), event -> {}, accepted(interrupted), false);
      // Solved, its outputs never written: the process "died" before it ended the job.
      first.running().outcome().toCompletableFuture().get(2, TimeUnit.MINUTES);
      assertEquals(List.of(), first.interrupted());
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Engine.JobRun again =
          engine.start(
              definition,
              BuildInputs.locals(Map.of()),
              event -> {},
              accepted(BuildId.next()),
              false);
      assertEquals(List.of(interrupted), again.interrupted());
      Outcome.Solved solved =
          (Outcome.Solved) again.running().outcome().toCompletableFuture().get(2, TimeUnit.MINUTES);
      again.finished(solved.key().digest());
      Definition other =
          State.source(BusyboxLayout.identifier()).run("sh", "-c", "echo other").definition();
      Engine.JobRun unrelated =
          engine.start(
              other, BuildInputs.locals(Map.of()), event -> {}, accepted(BuildId.next()), false);
      assertEquals(List.of(), unrelated.interrupted());
      Outcome.Solved done =
          (Outcome.Solved)
              unrelated.running().outcome().toCompletableFuture().get(2, TimeUnit.MINUTES);
      unrelated.finished(done.key().digest());
    }
  }
}

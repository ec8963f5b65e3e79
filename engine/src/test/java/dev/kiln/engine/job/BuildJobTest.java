package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.graph.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildJobTest {
  @TempDir Path root;
  private ActorTestKit kit;
  private final BuildId build = BuildId.next();

  @AfterEach
  void stop() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  /** A process on {@code root}'s journal (a new actor system, as after a restart). */
  private ActorRef<BuildJob.Command> start() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
    kit = ActorTestKit.create("kiln", JobJournal.config(root).withFallback(ConfigFactory.load()));
    return kit.spawn(BuildJob.create(build));
  }

  private BuildJob.Reply accept(ActorRef<BuildJob.Command> job) {
    return accept(job, build);
  }

  private BuildJob.Reply accept(ActorRef<BuildJob.Command> job, BuildId id) {
    TestProbe<BuildJob.Reply> reply = kit.createTestProbe();
    job.tell(
        new BuildJob.Accept(
            new JobEvent.BuildAccepted(
                id,
                "dockerfile",
                Map.of("dockerfile", Digest.sha256("FROM busybox\n")),
                List.of("--target", "app"),
                List.of(),
                "test",
                "/work",
                Instant.now()),
            reply.getRef()));
    return reply.receiveMessage();
  }

  private BuildJob.Reply record(ActorRef<BuildJob.Command> job, JobEvent event) {
    TestProbe<BuildJob.Reply> reply = kit.createTestProbe();
    job.tell(new BuildJob.Record(event, reply.getRef()));
    return reply.receiveMessage();
  }

  private JobState state(ActorRef<BuildJob.Command> job) {
    TestProbe<JobState> reply = kit.createTestProbe();
    job.tell(new BuildJob.Get(reply.getRef()));
    return reply.receiveMessage();
  }

  private static JobEvent.VertexCompleted completed(int n) {
    return new JobEvent.VertexCompleted(
        Digest.sha256("vertex " + n), Digest.sha256("key " + n), List.of("s" + n), Instant.now());
  }

  @Test
  void aJobRecoversWhatItWasAskedAndWhichVerticesCompletedAfterARestart() {
    ActorRef<BuildJob.Command> job = start();
    assertInstanceOf(BuildJob.Persisted.class, accept(job));
    record(
        job, new JobEvent.VertexStarted(Digest.sha256("vertex 1"), "[1/2] RUN a", Instant.now()));
    assertInstanceOf(BuildJob.Persisted.class, record(job, completed(1)));
    record(
        job, new JobEvent.VertexStarted(Digest.sha256("vertex 2"), "[2/2] RUN b", Instant.now()));

    JobState recovered = state(start());

    assertEquals(JobState.Status.RUNNING, recovered.status(), "an unended job: interrupted");
    assertEquals(List.of("--target", "app"), recovered.accepted().orElseThrow().options());
    assertEquals(
        Map.of(Digest.sha256("vertex 1"), completed(1).cacheKey()),
        Map.of(
            recovered.completed().keySet().iterator().next(),
            recovered.completed().values().iterator().next().cacheKey()));
    assertTrue(Files.isDirectory(root.resolve("journal")), "the journal is under ROOT/journal");
  }

  @Test
  void aJobTakesEventsOnlyInTheirOrder() {
    ActorRef<BuildJob.Command> job = start();
    assertEquals(
        new BuildJob.Refused("build " + build + " is not accepted"), record(job, completed(1)));
    assertInstanceOf(BuildJob.Persisted.class, accept(job));
    assertEquals(new BuildJob.Refused("build " + build + " is accepted already"), accept(job));
    assertInstanceOf(
        BuildJob.Refused.class,
        record(
            job,
            new JobEvent.BuildAccepted(
                build, "x", Map.of(), List.of(), List.of(), "", "/work", Instant.now())));
    assertInstanceOf(
        BuildJob.Persisted.class,
        record(job, new JobEvent.BuildFinished(Digest.sha256("result"), Instant.now())));

    assertEquals(
        new BuildJob.Refused("build " + build + " has ended (finished)"),
        record(job, completed(2)));
    JobState ended = state(start());
    assertEquals(JobState.Status.FINISHED, ended.status());
    assertTrue(ended.completed().isEmpty());
  }

  @Test
  void aLongJobRecoversFromItsSnapshotAndTheEventsAfterIt() throws Exception {
    ActorRef<BuildJob.Command> job = start();
    accept(job);
    int vertices = BuildJob.SNAPSHOT_EVERY * 2 + 17;
    for (int n = 0; n < vertices; n++) {
      assertInstanceOf(BuildJob.Persisted.class, record(job, completed(n)));
    }

    JobState recovered = state(start());

    assertEquals(vertices, recovered.completed().size());
    assertEquals(
        completed(7).cacheKey(), recovered.completed().get(Digest.sha256("vertex 7")).cacheKey());
    try (var snapshots = Files.list(root.resolve("snapshots-journal"))) {
      assertTrue(snapshots.findAny().isPresent(), "no snapshot was written");
    }
  }

  @Test
  void anErasedJobLeavesNeitherEventsNorSnapshotsAndOthersStay() throws Exception {
    ActorRef<BuildJob.Command> job = start();
    accept(job);
    for (int n = 0; n < BuildJob.SNAPSHOT_EVERY + 5; n++) {
      record(job, completed(n));
    }
    record(job, new JobEvent.BuildFinished(Digest.sha256("result"), Instant.now()));
    BuildId other = BuildId.next();
    assertInstanceOf(BuildJob.Persisted.class, accept(kit.spawn(BuildJob.create(other)), other));
    try (var snapshots = Files.list(root.resolve("snapshots-journal"))) {
      assertTrue(snapshots.anyMatch(f -> f.toString().contains(build.value())), "a snapshot");
    }

    JobEraser.erase(kit.system(), build).toCompletableFuture().get(30, TimeUnit.SECONDS);

    try (var snapshots = Files.list(root.resolve("snapshots-journal"))) {
      assertTrue(
          snapshots.noneMatch(f -> f.toString().contains(build.value())), "the snapshot stayed");
    }
    assertEquals(JobState.NEW, state(start()), "the events stayed");
    assertEquals(JobState.Status.RUNNING, state(kit.spawn(BuildJob.create(other))).status());
    // Erasing again, or a job that never was, is harmless.
    JobEraser.erase(kit.system(), build).toCompletableFuture().get(30, TimeUnit.SECONDS);
    JobEraser.erase(kit.system(), BuildId.next()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aRootNotMadeYetGetsItsJournal() {
    kit =
        ActorTestKit.create(
            "kiln",
            JobJournal.config(root.resolve("not/made/yet")).withFallback(ConfigFactory.load()));
    assertInstanceOf(BuildJob.Persisted.class, accept(kit.spawn(BuildJob.create(build))));
    assertTrue(Files.isDirectory(root.resolve("not/made/yet/journal")));
  }
}

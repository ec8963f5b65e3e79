package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.BuildJob;
import dev.kiln.engine.job.JobEvent;
import dev.kiln.engine.job.JobJournal;
import dev.kiln.engine.job.JobState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What journaling a build costs per vertex: {@code VertexCompleted} events persisted one after
 * another through a {@code BuildJob} (LevelDB journal, fsync on), against raw LevelDB JNI puts of
 * values of the same size with sync, in the same run on the same disk.
 */
class JobJournalBench {
  private static final int EVENTS = 1_000;
  private static final Duration ASK = Duration.ofSeconds(30);

  @TempDir Path temp;

  @Test
  void journalCostPerVertex() throws Exception {
    List<JobEvent.VertexCompleted> events =
        java.util.stream.IntStream.range(0, EVENTS)
            .mapToObj(
                n ->
                    new JobEvent.VertexCompleted(
                        Digest.sha256("vertex " + n),
                        Digest.sha256("key " + n),
                        List.of("snapshot-" + n),
                        Instant.now()))
            .toList();
    int valueSize = events.get(0).toString().getBytes(StandardCharsets.UTF_8).length;

    double raw = rawPuts(valueSize);
    double journal = journaled(events);

    Benchmarks.report(
        String.format(Locale.ROOT, "baseline: %d LevelDB JNI puts with sync", EVENTS), raw, raw);
    Benchmarks.report(
        String.format(
            Locale.ROOT,
            "%d job events persisted, fsync (%.0f events/s)",
            EVENTS,
            EVENTS / journal),
        journal,
        raw);
  }

  private double rawPuts(int valueSize) throws Exception {
    Options options = new Options().createIfMissing(true);
    WriteOptions sync = new WriteOptions().sync(true);
    byte[] value = new byte[valueSize];
    try (DB db = JniDBFactory.factory.open(temp.resolve("raw").toFile(), options)) {
      long start = System.nanoTime();
      for (int n = 0; n < EVENTS; n++) {
        db.put(("key-" + n).getBytes(StandardCharsets.UTF_8), value, sync);
      }
      return Benchmarks.seconds(start);
    }
  }

  private double journaled(List<JobEvent.VertexCompleted> events) throws Exception {
    Path root = temp.resolve("root");
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), "kiln", JobJournal.config(root).withFallback(ConfigFactory.load()));
    try {
      BuildId build = BuildId.next();
      ActorRef<BuildJob.Command> job =
          system.systemActorOf(
              BuildJob.create(build), "job", org.apache.pekko.actor.typed.Props.empty());
      BuildJob.Reply accepted =
          ask(
              system,
              job,
              reply ->
                  new BuildJob.Accept(
                      new JobEvent.BuildAccepted(
                          build,
                          "definition",
                          Map.of(),
                          List.of(),
                          List.of(),
                          "bench",
                          "/work",
                          Instant.now()),
                      reply));
      assertInstanceOf(BuildJob.Persisted.class, accepted);
      long start = System.nanoTime();
      for (JobEvent.VertexCompleted event : events) {
        assertInstanceOf(
            BuildJob.Persisted.class, ask(system, job, reply -> new BuildJob.Record(event, reply)));
      }
      double seconds = Benchmarks.seconds(start);
      JobState state =
          AskPattern.<BuildJob.Command, JobState>ask(
                  job, BuildJob.Get::new, ASK, system.scheduler())
              .toCompletableFuture()
              .get();
      assertEquals(EVENTS, state.completed().size());
      return seconds;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get();
    }
  }

  private static BuildJob.Reply ask(
      ActorSystem<Void> system,
      ActorRef<BuildJob.Command> job,
      org.apache.pekko.japi.function.Function<ActorRef<BuildJob.Reply>, BuildJob.Command> message)
      throws Exception {
    return AskPattern.ask(job, message, ASK, system.scheduler()).toCompletableFuture().get();
  }
}

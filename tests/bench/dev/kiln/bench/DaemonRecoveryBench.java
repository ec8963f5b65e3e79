package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.kiln.cli.RemoteBuild;
import dev.kiln.cli.daemon.SavedRequest;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobEvent;
import dev.kiln.engine.job.JobJournal;
import dev.kiln.engine.job.Jobs;
import dev.kiln.tests.DaemonProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon's start ({@code ./kiln daemon}, as users run it) on a root whose journal holds 10,000
 * finished and 50 unfinished jobs (goal: accepting requests within 2 s), against its start on the
 * same root before any job, in the same run; and the time from accepting requests to the first
 * resumed step running (goal: 1 s).
 */
class DaemonRecoveryBench {
  private static final int FINISHED = 10_000;
  private static final int UNFINISHED = 50;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  @TempDir Path temp;

  @Test
  void startWithManyJobsAndTimeToTheFirstResumedStep() throws Exception {
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);
    double baseline = timedStart(root);

    List<BuildId> unfinished = populate(root);
    long start = System.nanoTime();
    DaemonProcess daemon = daemon(root);
    double started = Benchmarks.seconds(start);
    try {
      Instant listening = Instant.now();
      int port =
          Integer.parseInt(daemon.address().substring(daemon.address().lastIndexOf(':') + 1));
      // The first resumed build's step: when the daemon says it started (its own clock, which is
      // this host's), replayed or live; not when this first request gets it.
      HttpResponse<java.util.stream.Stream<String>> events =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + port
                                  + "/v1/builds/"
                                  + unfinished.get(0)
                                  + "/events"))
                      .build(),
                  HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, events.statusCode());
      double firstStep = -1;
      List<String> seen = new ArrayList<>();
      for (Iterator<String> lines = events.body().iterator(); lines.hasNext(); ) {
        String line = lines.next();
        seen.add(line);
        if (line.contains("\"type\":\"started\"") && line.contains("RUN echo resumed")) {
          Instant at = Instant.parse(JSON.readTree(line).path("at").asText());
          firstStep = java.time.Duration.between(listening, at).toNanos() / 1e9;
          break;
        }
      }
      assertTrue(firstStep > -1, "no resumed step started: " + seen);
      Benchmarks.report("baseline: daemon start, no job in its journal", baseline, baseline);
      Benchmarks.report(
          "daemon start with "
              + FINISHED
              + " finished and "
              + UNFINISHED
              + " unfinished jobs (goal: under 2 s)",
          started,
          baseline);
      Benchmarks.report(
          "from accepting requests to the first resumed step running (goal: under 1 s)",
          firstStep,
          baseline);
    } finally {
      daemon.kill(); // its 50 resumed builds need not finish
    }
  }

  private static double timedStart(Path root) throws Exception {
    Benchmarks.kilnCommand(); // its class-data archive made, untimed
    long start = System.nanoTime();
    try (DaemonProcess daemon = daemon(root)) {
      return Benchmarks.seconds(start);
    }
  }

  /** {@code ./kiln daemon} on {@code root}, as users start it, once it listens. */
  private static DaemonProcess daemon(Path root) throws Exception {
    return DaemonProcess.launch(
        Benchmarks.kilnCommand("daemon", "--root", root.toString(), "--addr", "tcp://127.0.0.1:0"));
  }

  /**
   * Writes the journal of a busy daemon's past: {@code FINISHED} jobs that ended and {@code
   * UNFINISHED} daemon builds a crash interrupted, with their sessions (fsync off: only the reading
   * is measured).
   */
  private static List<BuildId> populate(Path root) throws Exception {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            "kiln",
            ConfigFactory.parseString("pekko.persistence.journal.leveldb.fsync = off")
                .withFallback(JobJournal.config(root))
                .withFallback(ConfigFactory.load()));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      Jobs jobs = Jobs.of(system);
      List<Future<?>> done = new ArrayList<>();
      for (int n = 0; n < FINISHED; n++) {
        done.add(
            pool.submit(
                () -> {
                  BuildId id = BuildId.next();
                  jobs.open(accepted(id), false)
                      .end(
                          new JobEvent.BuildFinished(
                              dev.kiln.engine.graph.Digest.sha256(id.value()), Instant.now()))
                      .toCompletableFuture()
                      .get();
                  return null;
                }));
      }
      for (Future<?> job : done) {
        job.get();
      }
      List<BuildId> unfinished = new ArrayList<>();
      for (int n = 0; n < UNFINISHED; n++) {
        BuildId id = BuildId.next();
        jobs.open(accepted(id), false);
        Path session = root.resolve("sessions").resolve(id.value());
        Files.createDirectories(session.resolve("context"));
        Files.createDirectories(session.resolve("dockerfile"));
        Files.writeString(
            session.resolve("dockerfile/Dockerfile"), "FROM busybox\nRUN echo resumed-" + n + "\n");
        new SavedRequest(
                new RemoteBuild.Request("Dockerfile", List.of()),
                List.of(),
                Optional.empty(),
                Map.of())
            .write(session);
        unfinished.add(id);
      }
      return unfinished;
    } finally {
      pool.shutdownNow();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get();
    }
  }

  private static JobEvent.BuildAccepted accepted(BuildId id) {
    return new JobEvent.BuildAccepted(
        id,
        "dockerfile",
        Map.of(),
        List.of(),
        List.of(),
        "a client of the daemon",
        "",
        Instant.now());
  }
}

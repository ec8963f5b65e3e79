package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pins the journal's JSON form of every job event to a fixture written on 2026-11-27: a change that
 * would make old journals unreadable fails here. A new event kind gets a fixture of its own; an old
 * fixture is never edited.
 */
class JobEventJsonTest {
  private static final Instant AT = Instant.parse("2026-11-27T09:30:00.123Z");
  private static final Digest VERTEX = Digest.sha256("vertex");
  private static final Digest KEY = Digest.sha256("key");

  private final ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  static Map<String, JobSerializable> samples() {
    return Map.ofEntries(
        Map.entry(
            "build-accepted",
            new JobEvent.BuildAccepted(
                BuildId.parse("01KB0Z5Q7ZJ9W3D1XH0G5ZB4TN"),
                "dockerfile",
                Map.of("dockerfile", Digest.sha256("FROM busybox\n")),
                List.of("--target", "app"),
                List.of("type=image,name=app"),
                "unix:uid=1000",
                "/home/dev/app",
                AT)),
        Map.entry("vertex-started", new JobEvent.VertexStarted(VERTEX, "[app 2/3] RUN make", AT)),
        Map.entry(
            "vertex-completed",
            new JobEvent.VertexCompleted(VERTEX, KEY, List.of("snapshot-1"), AT)),
        Map.entry(
            "export-completed",
            new JobEvent.ExportCompleted(
                "type=image,name=app", Optional.of(Digest.sha256("m")), AT)),
        Map.entry("build-finished", new JobEvent.BuildFinished(KEY, AT)),
        Map.entry(
            "build-failed",
            new JobEvent.BuildFailed("process exited with code 2", Optional.of(VERTEX), AT)),
        Map.entry("build-cancelled", new JobEvent.BuildCancelled("cancelled through the API", AT)),
        Map.entry(
            "job-opened", new JobIndex.JobOpened(BuildId.parse("01KB0Z5Q7ZJ9W3D1XH0G5ZB4TN"), AT)),
        Map.entry(
            "job-closed", new JobIndex.JobClosed(BuildId.parse("01KB0Z5Q7ZJ9W3D1XH0G5ZB4TN"), AT)),
        Map.entry("job-ended", new JobHistory.JobEnded(summary())),
        Map.entry(
            "jobs-erased",
            new JobHistory.JobsErased(List.of(BuildId.parse("01KB0Z5Q7ZJ9W3D1XH0G5ZB4TN")), AT)),
        Map.entry(
            "job-history-state",
            new JobHistory.State(
                List.of(
                    summary(),
                    new JobSummary(
                        BuildId.parse("01KB0Z60000000000000000000"),
                        JobState.Status.CANCELLED,
                        "dockerfile: -f Dockerfile .",
                        AT,
                        Optional.empty())))),
        Map.entry(
            "job-index-state",
            new JobIndex.State(
                List.of(
                    BuildId.parse("01KB0Z5Q7ZJ9W3D1XH0G5ZB4TN"),
                    BuildId.parse("01KB0Z60000000000000000000")))));
  }

  private static JobSummary summary() {
    return new JobSummary(
        BuildId.parse("01KB0Z5Q7ZJ9W3D1XH0G5ZB4TN"),
        JobState.Status.FINISHED,
        "dockerfile: --target app .",
        AT,
        Optional.of(AT.plusSeconds(12)));
  }

  @Test
  void everyEventReadsAndWritesAsItsFixture() throws IOException {
    Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
    List<String> missing = new java.util.ArrayList<>();
    for (var sample : samples().entrySet()) {
      JobSerializable event = sample.getValue();
      var serializer = (SerializerWithStringManifest) serialization.findSerializerFor(event);
      String written = new String(serialization.serialize(event).get(), StandardCharsets.UTF_8);
      String name = sample.getKey() + ".json";
      try (InputStream fixture = JobEventJsonTest.class.getResourceAsStream("events/" + name)) {
        if (fixture == null) {
          Path proposed = Path.of("target", "job-event-fixtures", name);
          Files.createDirectories(proposed.getParent());
          Files.writeString(proposed, written + "\n");
          missing.add(proposed.toString());
          continue;
        }
        String pinned = new String(fixture.readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(pinned, written, name + ": the journal's JSON form changed");
        Object read =
            serialization
                .deserialize(
                    pinned.getBytes(StandardCharsets.UTF_8),
                    serializer.identifier(),
                    serializer.manifest(event))
                .get();
        assertEquals(event, read, name);
      }
    }
    if (!missing.isEmpty()) {
      fail("no fixtures yet: review " + missing + " and add them to the tests' resources");
    }
  }
}

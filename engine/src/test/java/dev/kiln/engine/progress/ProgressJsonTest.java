package dev.kiln.engine.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.run.LogStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressJsonTest {
  static final Digest V = Digest.sha256("vertex");
  static final Digest K = Digest.sha256("key");

  @Test
  void everyEventSurvivesARoundTrip() throws IOException {
    List<ProgressEvent> events =
        List.of(
            new ProgressEvent.VertexMissed(V, "[1/2] RUN make", K, "op", List.of("a", "b"), true),
            new ProgressEvent.VertexStarted(
                V, "[1/2] RUN make", Instant.parse("2026-11-27T03:00:00Z")),
            new ProgressEvent.VertexCached(V, "[1/2] RUN make", K),
            new ProgressEvent.VertexRecorded(V, "[1/2] RUN make", K),
            new ProgressEvent.VertexCompleted(V, "[1/2] RUN make", Duration.ofMillis(1234)),
            new ProgressEvent.VertexFailed(
                V, "[1/2] RUN make", "exit code 2", Duration.ofMillis(5)),
            new ProgressEvent.VertexLog(
                V, LogStream.STDERR, "warning: \"quoted\"\tline", Duration.ofMillis(7)),
            new ProgressEvent.Ended(false));
    for (ProgressEvent event : events) {
      String line = ProgressJson.write(event);
      assertTrue(!line.contains("\n"), line);
      assertEquals(event, ProgressJson.read(line));
    }
  }

  @Test
  void aLineThatIsNotAnEventIsRefusedWithTheReason() {
    IOException notJson = assertThrows(IOException.class, () -> ProgressJson.read("{nope"));
    assertTrue(notJson.getMessage().contains("not JSON"), notJson.getMessage());
    IOException unknown =
        assertThrows(IOException.class, () -> ProgressJson.read("{\"type\":\"teleported\"}"));
    assertTrue(unknown.getMessage().contains("teleported"), unknown.getMessage());
    IOException badDigest =
        assertThrows(
            IOException.class,
            () ->
                ProgressJson.read(
                    "{\"type\":\"cached\",\"vertex\":\"md5:1\",\"name\":\"x\",\"key\":\"y\"}"));
    assertTrue(badDigest.getMessage().contains("md5:1"), badDigest.getMessage());
    IOException missing =
        assertThrows(
            IOException.class,
            () ->
                ProgressJson.read(
                    "{\"type\":\"completed\",\"vertex\":\"" + V + "\",\"name\":\"x\"}"));
    assertTrue(missing.getMessage().contains("tookMs"), missing.getMessage());
  }
}

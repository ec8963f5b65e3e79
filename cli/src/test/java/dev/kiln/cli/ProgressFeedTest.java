package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.LogStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ProgressFeedTest {
  static final Digest V = Digest.sha256("v");

  @Test
  void aStuckPrinterNeverBlocksTheBuildAndIsToldWhatWasDropped() throws Exception {
    CountDownLatch unstick = new CountDownLatch(1);
    List<ProgressEvent> printed = new CopyOnWriteArrayList<>();
    ProgressFeed feed =
        new ProgressFeed(
            event -> {
              try {
                unstick.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              printed.add(event);
            },
            10);

    // The printer is stuck on the first event: every accept below must still return.
    feed.accept(new ProgressEvent.VertexStarted(V, "RUN make", Instant.EPOCH));
    for (int i = 0; i < 1000; i++) {
      feed.accept(new ProgressEvent.VertexLog(V, LogStream.STDOUT, "line " + i, Duration.ZERO));
    }
    feed.accept(new ProgressEvent.VertexCompleted(V, "RUN make", Duration.ofSeconds(1)));
    unstick.countDown();
    feed.close();

    long lines = printed.stream().filter(e -> e instanceof ProgressEvent.VertexLog).count();
    assertTrue(lines <= 12, lines + " lines printed");
    ProgressEvent note = printed.get(printed.size() - 2);
    assertTrue(
        note instanceof ProgressEvent.VertexLog log && log.line().contains("not shown"),
        note.toString());
    assertTrue(printed.get(printed.size() - 1) instanceof ProgressEvent.VertexCompleted);
    assertEquals(
        1000 - (lines - 1),
        Integer.parseInt(((ProgressEvent.VertexLog) note).line().replaceAll("\\D+", " ").trim()),
        "the note counts the dropped lines");
  }
}

package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CacheStreamerTest {
  private static final Digest RAN = Digest.sha256("ran");
  private static final Digest CACHED = Digest.sha256("cached");
  private static final Digest KEY = Digest.sha256("key");

  @Test
  void preparesEachStepThatRanAsItCompletes() throws Exception {
    List<Digest> prepared = new CopyOnWriteArrayList<>();
    try (CacheStreamer streamer = new CacheStreamer(Optional.of(prepared::add))) {
      streamer.accept(new ProgressEvent.VertexMissed(RAN, "RUN make", KEY, "op", List.of(), false));
      streamer.accept(new ProgressEvent.VertexCached(CACHED, "FROM busybox", CACHED));
      streamer.accept(new ProgressEvent.VertexCompleted(RAN, "RUN make", Duration.ZERO));
      streamer.accept(new ProgressEvent.VertexCompleted(CACHED, "FROM busybox", Duration.ZERO));
    }
    assertEquals(List.of(KEY), prepared);
  }

  @Test
  void withoutAnExportItDoesNothing() throws Exception {
    try (CacheStreamer streamer = new CacheStreamer(Optional.empty())) {
      streamer.accept(new ProgressEvent.VertexMissed(RAN, "RUN make", KEY, "op", List.of(), false));
      streamer.accept(new ProgressEvent.VertexCompleted(RAN, "RUN make", Duration.ZERO));
    }
  }
}

package dev.kiln.cli;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.exporter.cache.CacheExporter;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Streams a cache export ({@code --cache-to ...,mode=max}): as each step completes, one background
 * thread makes its layers' blobs, so the export after the build has little left to do. Closing
 * waits for what is queued.
 */
final class CacheStreamer implements Consumer<ProgressEvent>, AutoCloseable {
  /** Makes a record's blobs ahead of the export ({@link CacheExporter#prepare}). */
  @FunctionalInterface
  interface Preparer {
    void prepare(Digest key) throws IOException;
  }

  private final Optional<Preparer> exporter;
  private final Map<Digest, Digest> keys = new ConcurrentHashMap<>();
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          work -> {
            Thread t = new Thread(work, "kiln-cache-export");
            t.setDaemon(true);
            return t;
          });

  CacheStreamer(Optional<Preparer> exporter) {
    this.exporter = exporter;
  }

  @Override
  public void accept(ProgressEvent event) {
    if (exporter.isEmpty()) {
      return;
    }
    if (event instanceof ProgressEvent.VertexMissed missed) {
      keys.put(missed.vertex(), missed.key());
    } else if (event instanceof ProgressEvent.VertexCompleted completed
        && keys.containsKey(completed.vertex())) {
      Digest key = keys.get(completed.vertex());
      thread.execute(
          () -> {
            try {
              exporter.get().prepare(key);
            } catch (IOException | RuntimeException e) {
              // The export at the end makes what is missing, and reports what fails then.
            }
          });
    }
  }

  @Override
  public void close() throws InterruptedException {
    thread.shutdown();
    thread.awaitTermination(1, TimeUnit.HOURS);
  }
}

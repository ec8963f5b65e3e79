package dev.kiln.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.source.ImageBlobs;
import dev.kiln.engine.source.ImageLoader;
import dev.kiln.engine.source.ImageSource;
import dev.kiln.engine.source.OciLayoutSource;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageRunnerTest {
  @TempDir Path root;

  @Test
  void theImageIsResolvedOnceSoWhatRunsIsWhatTheCacheKeyNamed() throws Exception {
    OciLayoutSource layouts =
        new OciLayoutSource(new ImageLoader(new ContentStore(root), new Snapshotter(root)));
    AtomicInteger lookups = new AtomicInteger();
    // Counts how often the image's reference is looked up (a tag that could move each time).
    ImageSource counting =
        new ImageSource() {
          @Override
          public ImageBlobs blobs(String identifier) throws IOException {
            ImageBlobs blobs = layouts.blobs(identifier);
            return new ImageBlobs() {
              @Override
              public Descriptor top() throws IOException {
                lookups.incrementAndGet();
                return blobs.top();
              }

              @Override
              public void fetch(Descriptor blob, ContentStore store) throws IOException {
                blobs.fetch(blob, store);
              }

              @Override
              public IOException error(String problem, Throwable cause) {
                return blobs.error(problem, cause);
              }
            };
          }

          @Override
          public ImageLoader loader() {
            return layouts.loader();
          }
        };
    ImageRunner runner =
        new ImageRunner(
            Digest.sha256("op"),
            new SourceOp(BusyboxLayout.identifier(), List.of(), List.of(), Map.of()),
            counting,
            new BlockingPool(ForkJoinPool.commonPool()));
    RunContext context = new RunContext((stream, line) -> {}, new Cancellation());

    String key = runner.cacheDigest(context).toCompletableFuture().get(30, TimeUnit.SECONDS);
    runner.run(List.of(), context).toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertEquals("image@" + layouts.resolveManifest(BusyboxLayout.identifier()), key);
    assertEquals(1, lookups.get());
  }
}

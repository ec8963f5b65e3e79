package dev.kiln.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.cache.LayerMeta;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.engine.solver.ResultCache;
import dev.kiln.engine.source.ImageLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotCacheTest {
  @TempDir Path root;
  final ExecutorService pool = Executors.newFixedThreadPool(2);
  Snapshotter snapshotter;
  CacheStore store;
  SnapshotCache cache;

  @BeforeEach
  void open() throws IOException {
    snapshotter = new Snapshotter(root);
    store = CacheStore.open(root);
    cache =
        new SnapshotCache(
            store, snapshotter, new ImageLoader(new ContentStore(root), snapshotter), pool);
  }

  @AfterEach
  void close() throws IOException {
    pool.shutdownNow();
    store.close();
  }

  private Layer layer(int bytes) throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Files.write(active.upper().resolve("data"), new byte[bytes]);
    return snapshotter.commit(active);
  }

  /** The layers' sizes are measured after the record, without holding up its step. */
  @Test
  void recordingAResultKeepsItsLayersSizesAndParents() throws Exception {
    Layer base = layer(300);
    Layer top = layer(20);
    CacheKey key = new CacheKey(Digest.sha256("step"));

    cache
        .record(
            key,
            List.of(new SnapshotResult(new Snapshot(List.of(base, top)))),
            new ResultCache.Made("exec", "RUN make", "op", List.of(), "{}"))
        .toCompletableFuture()
        .get();
    assertTrue(cache.lookup(key).toCompletableFuture().get().isPresent());
    cache.flush();

    assertEquals(Optional.of(300L), store.layer(base.id()).map(LayerMeta::bytes));
    assertEquals(Optional.of(Optional.of(base.id())), store.layer(top.id()).map(LayerMeta::parent));
  }

  @Test
  void theConsistencyPassDropsTheRecordAndTheSizeOfAGoneLayer() throws Exception {
    Layer gone = layer(300);
    CacheKey key = new CacheKey(Digest.sha256("step"));
    cache
        .record(
            key,
            List.of(new SnapshotResult(new Snapshot(List.of(gone)))),
            new ResultCache.Made("exec", "RUN make", "op", List.of(), "{}"))
        .toCompletableFuture()
        .get();
    cache.flush();
    FileTrees.deleteRecursively(gone.dir().getParent());

    assertEquals(1, cache.dropBroken());

    assertEquals(Optional.empty(), store.get(key.digest()));
    assertEquals(Optional.empty(), store.layer(gone.id()));
  }
}

package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachePrunerTest {
  @TempDir Path root;
  Snapshotter snapshotter;
  CacheStore store;
  String base; // 100 bytes, held by both records
  String old; // 1000 bytes, only the old record's
  String recent; // 10 bytes, only the recent record's
  String orphan; // 5 bytes, no record's
  static final Digest OLD = Digest.sha256("old");
  static final Digest RECENT = Digest.sha256("recent");

  private String layer(int bytes) throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Files.write(active.upper().resolve("data"), new byte[bytes]);
    return snapshotter.commit(active).id();
  }

  @BeforeEach
  void cache() throws IOException {
    snapshotter = new Snapshotter(root);
    store = CacheStore.open(root);
    base = layer(100);
    old = layer(1000);
    recent = layer(10);
    orphan = layer(5);
    store.put(OLD, CacheRecord.of(List.of(List.of(base, old)), "exec", "old", 1_000));
    store.put(RECENT, CacheRecord.of(List.of(List.of(base, recent)), "exec", "recent", 2_000));
  }

  @AfterEach
  void close() throws IOException {
    store.close();
  }

  private CachePruner.Pruned prune(PrunePolicy policy, Set<String> leased) throws IOException {
    return CachePruner.prune(store, snapshotter, policy, leased, 3_000);
  }

  private void assertConsistent() throws IOException {
    for (CacheStore.Entry entry : store.entries()) {
      for (String layer : entry.record().layers()) {
        assertTrue(snapshotter.committed(layer).isPresent(), "record names a gone layer " + layer);
      }
    }
  }

  @Test
  void duSplitsPrivateFromSharedAndFindsOrphans() throws IOException {
    CacheUsage.Report report =
        CacheUsage.of(store, snapshotter, new dev.kiln.engine.content.ContentStore(root));
    assertEquals(1010, report.privateBytes());
    assertEquals(100, report.sharedBytes());
    assertEquals(1, report.orphanLayers());
    assertEquals(5, report.orphanBytes());
    assertEquals(1115, report.totalBytes());
  }

  @Test
  void keepStorageRemovesTheLeastRecentlyUsedUntilTheRestFits() throws IOException {
    CachePruner.Pruned pruned =
        prune(new PrunePolicy(false, Optional.empty(), Optional.of(200L)), Set.of());
    assertEquals(1, pruned.records());
    assertEquals(2, pruned.layers(), "the old record's own layer and the orphan");
    assertEquals(1005, pruned.bytes());
    assertEquals(Optional.empty(), store.get(OLD));
    assertTrue(store.get(RECENT).isPresent());
    assertTrue(snapshotter.committed(base).isPresent(), "a layer the kept record holds went");
    assertConsistent();
  }

  @Test
  void untilKeepsRecordsUsedMoreRecently() throws IOException {
    prune(
        new PrunePolicy(false, Optional.of(Duration.ofMillis(1_500)), Optional.empty()), Set.of());
    assertEquals(Optional.empty(), store.get(OLD));
    assertTrue(store.get(RECENT).isPresent());
    assertConsistent();
  }

  @Test
  void aLeasedLayerKeepsItsRecordAndItself() throws IOException {
    CachePruner.Pruned pruned = prune(PrunePolicy.everything(), Set.of(old));
    assertEquals(1, pruned.records());
    assertTrue(store.get(OLD).isPresent());
    assertTrue(snapshotter.committed(old).isPresent());
    assertTrue(snapshotter.committed(base).isPresent());
    assertTrue(snapshotter.committed(recent).isEmpty());
    assertConsistent();
  }

  @Test
  void pruningEverythingLeavesNoLayerAndNoRecord() throws IOException {
    CachePruner.Pruned pruned = prune(PrunePolicy.everything(), Set.of());
    assertEquals(2, pruned.records());
    assertEquals(4, pruned.layers());
    assertEquals(List.of(), store.entries());
    try (var left = Files.list(snapshotter.snapshotsDir())) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void sizesAreMeasuredOnceAndKeptWithTheRecords() throws IOException {
    CacheUsage.remember(store, snapshotter, List.of(base, old), 7);
    assertEquals(Optional.of(new LayerMeta(old, Optional.of(base), 1000, 7)), store.layer(old));
    // A kept size is what usage reports, without measuring the layer again.
    store.putLayer(new LayerMeta(old, Optional.of(base), 2000, 7));
    assertEquals(
        2010,
        CacheUsage.of(store, snapshotter, new dev.kiln.engine.content.ContentStore(root))
            .privateBytes());

    prune(PrunePolicy.everything(), Set.of());

    assertEquals(Optional.empty(), store.layer(old));
    assertEquals(Optional.empty(), store.layer(base));
  }

  @Test
  void usageMeasuresAndKeepsTheSizeOfALayerWithoutOne() throws IOException {
    CacheUsage.of(store, snapshotter, new dev.kiln.engine.content.ContentStore(root));

    assertEquals(Optional.of(1000L), store.layer(old).map(LayerMeta::bytes));
    assertEquals(Optional.of(base), store.layer(recent).flatMap(LayerMeta::parent));
    assertEquals(Optional.of(5L), store.layer(orphan).map(LayerMeta::bytes));
  }
}

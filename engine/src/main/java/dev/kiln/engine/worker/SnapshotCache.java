package dev.kiln.engine.worker;

import dev.kiln.engine.cache.CacheManifest;
import dev.kiln.engine.cache.CacheRecord;
import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.cache.CacheUsage;
import dev.kiln.engine.cache.KeyParts;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.solver.ResultCache;
import dev.kiln.engine.source.ImageBlobs;
import dev.kiln.engine.source.ImageLoader;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The persistent result cache: a record names the committed layers of each output, so a result
 * outlives the process. A record whose layers are gone reads as a miss and is dropped. Records of
 * imported caches are taken on a local miss.
 */
public final class SnapshotCache implements ResultCache {
  /** Last use is rewritten at most this often per record: a hit should not cost a write. */
  private static final long TOUCH_MILLIS = Duration.ofMinutes(1).toMillis();

  private final CacheStore store;
  private final Snapshotter snapshotter;
  private final BlockingPool pool;
  private final ImageLoader loader;
  // Records other caches offer (--cache-from), materialised on a local miss.
  private final Map<Digest, Offered> imports = new ConcurrentHashMap<>();

  /** An imported record and where its layers come from. */
  private record Offered(ImageBlobs blobs, CacheManifest.Exported record) {}

  // Recorded but maybe not yet on disk: lookups see them at once.
  private final Map<CacheKey, List<Result>> pending = new ConcurrentHashMap<>();

  public SnapshotCache(
      CacheStore store,
      Snapshotter snapshotter,
      ImageLoader loader,
      java.util.concurrent.Executor pool) {
    this.store = store;
    this.snapshotter = snapshotter;
    this.loader = loader;
    this.pool = new BlockingPool(pool);
  }

  /**
   * Offers the records of an imported cache: a lookup that misses here takes one of them, fetching
   * and unpacking only its layers, and records it locally. Returns how many records it offers.
   */
  public int offer(ImageBlobs blobs, CacheManifest manifest) {
    for (CacheManifest.Exported record : manifest.records()) {
      imports.putIfAbsent(record.key(), new Offered(blobs, record));
    }
    return manifest.records().size();
  }

  /**
   * The start-up consistency pass: drops records that are damaged or name a layer that is gone;
   * returns how many it dropped.
   */
  public int dropBroken() throws IOException {
    // One listing of the snapshots directory, not a lookup per layer of every record: this runs
    // at every start.
    java.util.Set<String> present = new java.util.HashSet<>(snapshotter.committedIds());
    // Layer ids can be taken again once the highest is gone: no size may outlive its layer.
    store.dropLayersExcept(present);
    return store.dropWhere(record -> !present.containsAll(record.layers()));
  }

  @Override
  public CompletionStage<Optional<Hit>> lookup(CacheKey key) {
    List<Result> recorded = pending.get(key);
    if (recorded != null) {
      return CompletableFuture.completedFuture(Optional.of(Hit.of(recorded)));
    }
    return pool.supply(
        () -> {
          Optional<CacheRecord> found = store.get(key.digest());
          if (found.isEmpty()) {
            return offered(key);
          }
          CacheRecord record = found.get();
          List<Result> outputs = new ArrayList<>();
          for (List<String> ids : record.outputs()) {
            List<Layer> layers = new ArrayList<>();
            for (String id : ids) {
              Optional<Layer> layer = snapshotter.committed(id);
              if (layer.isEmpty()) {
                store.delete(key.digest());
                return offered(key);
              }
              layers.add(layer.get());
            }
            outputs.add(new SnapshotResult(new Snapshot(layers)));
          }
          long now = System.currentTimeMillis();
          if (now - record.lastUsedMillis() > TOUCH_MILLIS) {
            store.update(key.digest(), record.usedAt(now));
          }
          return Optional.of(Hit.of(outputs));
        });
  }

  @Override
  public CompletionStage<Void> record(CacheKey key, List<Result> outputs, Made made) {
    List<List<String>> ids = new ArrayList<>();
    for (Result output : outputs) {
      if (!(output instanceof SnapshotResult snapshot)) {
        return CompletableFuture.completedFuture(null);
      }
      ids.add(snapshot.snapshot().layers().stream().map(Layer::id).toList());
    }
    pending.put(key, List.copyOf(outputs));
    return pool.supply(
        () -> {
          try {
            store.put(
                key.digest(),
                CacheRecord.of(
                    ids,
                    made.kind(),
                    made.description(),
                    new KeyParts(made.opDigest(), made.inputs(), made.op()),
                    System.currentTimeMillis()));
          } finally {
            pending.remove(key);
          }
          // The step is done once its record is durable; measuring its layers (a walk of every
          // file, long for a big layer) comes after, still counted by the pool so a flush waits.
          pool.supply(
              () -> {
                rememberLayers(ids);
                return null;
              });
          return null;
        });
  }

  /** Waits (at most a minute) until every record made so far is on disk. */
  public void flush() throws IOException {
    try {
      awaitWritten(Duration.ofMinutes(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the cache was being written", e);
    }
  }

  /** Waits, at most {@code limit}, for records still being written; true when all are. */
  public boolean awaitWritten(Duration limit) throws InterruptedException {
    return pool.awaitIdle(limit);
  }

  /** A hit on an imported record of {@code key}, fetched and unpacked only when its outputs are. */
  private Optional<Hit> offered(CacheKey key) {
    Offered offered = imports.get(key.digest());
    if (offered == null) {
      return Optional.empty();
    }
    return Optional.of(() -> pool.supply(() -> imported(key, offered)));
  }

  /** Fetches and unpacks {@code offered}'s layers and records it here. */
  private List<Result> imported(CacheKey key, Offered offered) throws IOException {
    CacheManifest.Exported record = offered.record();
    List<Result> outputs = new ArrayList<>();
    List<List<String>> ids = new ArrayList<>();
    for (List<CacheManifest.LayerRef> output : record.outputs()) {
      List<Layer> layers = new ArrayList<>();
      for (CacheManifest.LayerRef ref : output) {
        layers.add(loader.unpackLayer(offered.blobs(), ref.blob(), Optional.of(ref.diffId())));
      }
      outputs.add(new SnapshotResult(new Snapshot(layers)));
      ids.add(layers.stream().map(Layer::id).toList());
    }
    store.put(
        key.digest(),
        CacheRecord.of(
            ids, record.kind(), record.description(), record.parts(), System.currentTimeMillis()));
    rememberLayers(ids);
    return outputs;
  }

  /** Measures, once, the layers a new record holds, after the record itself is safe. */
  private void rememberLayers(List<List<String>> ids) {
    long now = System.currentTimeMillis();
    try {
      for (List<String> stack : ids) {
        CacheUsage.remember(store, snapshotter, stack, now);
      }
    } catch (IOException e) {
      // Only a memo (a prune may have raced the measurement): du measures what has none.
    }
  }
}

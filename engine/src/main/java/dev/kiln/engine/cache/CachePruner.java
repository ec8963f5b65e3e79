package dev.kiln.engine.cache;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Removes cache records under a {@link PrunePolicy}, then every committed layer that no record left
 * holds and no running build leases. Records go first (synced), layers after, each renamed into the
 * snapshotter's {@code active-} namespace before it is deleted: a crash in between leaves only data
 * that nothing names, which the next start removes. A record never outlives its layers.
 */
public final class CachePruner {
  /** What a prune removed: records, layers, content-store blobs, and their bytes. */
  public record Pruned(int records, int layers, int blobs, long bytes) {
    /** This prune and then a sweep of the content store. */
    public Pruned and(BlobCollector.Swept swept) {
      return new Pruned(records, layers, blobs + swept.blobs(), bytes + swept.bytes());
    }
  }

  private CachePruner() {}

  /**
   * Prunes {@code store} and {@code snapshotter}'s layers; {@code leased} are layers running builds
   * use (kept, and so are the records holding them).
   */
  public static Pruned prune(
      CacheStore store,
      Snapshotter snapshotter,
      PrunePolicy policy,
      Set<String> leased,
      long nowMillis)
      throws IOException {
    List<CacheStore.Entry> entries = new ArrayList<>(store.entries());
    entries.sort(Comparator.comparingLong(e -> e.record().lastUsedMillis()));
    CacheUsage usage = new CacheUsage(snapshotter, store, entries);
    Map<String, Integer> holders = CacheUsage.holders(entries);
    long total = usage.sum(holders.keySet());
    List<CacheStore.Entry> doomed = new ArrayList<>();
    for (CacheStore.Entry entry : entries) {
      if (policy.keepBytes().isPresent() && total <= policy.keepBytes().get()) {
        break;
      }
      boolean oldEnough =
          policy.unusedFor().isEmpty()
              || entry.record().lastUsedMillis() < nowMillis - policy.unusedFor().get().toMillis();
      if (!oldEnough || entry.record().layers().stream().anyMatch(leased::contains)) {
        continue;
      }
      doomed.add(entry);
      for (String layer : new HashSet<>(entry.record().layers())) {
        if (holders.merge(layer, -1, Integer::sum) == 0) {
          total -= usage.size(layer);
        }
      }
    }
    for (CacheStore.Entry entry : doomed) {
      store.delete(entry.key());
    }
    Set<String> kept = CacheUsage.holders(store.entries()).keySet();
    int layers = 0;
    long bytes = 0;
    for (String layer : snapshotter.committedIds()) {
      if (kept.contains(layer) || leased.contains(layer)) {
        continue;
      }
      bytes += usage.size(layer, false);
      // Its size goes first: a crash in between leaves an orphan that is measured again.
      store.deleteLayer(layer);
      remove(snapshotter, layer);
      layers++;
    }
    return new Pruned(doomed.size(), layers, 0, bytes);
  }

  /**
   * Collects garbage under {@code policy}: records unused for longer than its duration, then the
   * least recently used until the cache fits its size and the disk has its free space; {@code
   * freeBytes} is what the disk has free now.
   */
  public static Pruned collect(
      CacheStore store,
      Snapshotter snapshotter,
      GcPolicy policy,
      Set<String> leased,
      long nowMillis,
      long freeBytes)
      throws IOException {
    Pruned total = new Pruned(0, 0, 0, 0);
    if (policy.keepDuration().isPresent()) {
      total =
          plus(
              total,
              prune(
                  store,
                  snapshotter,
                  new PrunePolicy(false, policy.keepDuration(), Optional.empty()),
                  leased,
                  nowMillis));
    }
    Optional<Long> keep = policy.keepBytes();
    if (policy.minFreeBytes().isPresent()
        && freeBytes + total.bytes() < policy.minFreeBytes().get()) {
      List<CacheStore.Entry> entries = store.entries();
      long used =
          new CacheUsage(snapshotter, store, entries).sum(CacheUsage.holders(entries).keySet());
      long shortBy = policy.minFreeBytes().get() - freeBytes - total.bytes();
      long fits = Math.max(0, used - shortBy);
      keep = Optional.of(keep.map(k -> Math.min(k, fits)).orElse(fits));
    }
    if (keep.isPresent()) {
      total =
          plus(
              total,
              prune(
                  store,
                  snapshotter,
                  new PrunePolicy(false, Optional.empty(), keep),
                  leased,
                  nowMillis));
    }
    return total;
  }

  private static Pruned plus(Pruned a, Pruned b) {
    return new Pruned(
        a.records() + b.records(),
        a.layers() + b.layers(),
        a.blobs() + b.blobs(),
        a.bytes() + b.bytes());
  }

  private static void remove(Snapshotter snapshotter, String layer) throws IOException {
    Path dir = snapshotter.snapshotsDir().resolve(layer);
    Path doomed = snapshotter.snapshotsDir().resolve("active-gc-" + layer);
    Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
    FileTrees.deleteRecursively(doomed);
  }
}

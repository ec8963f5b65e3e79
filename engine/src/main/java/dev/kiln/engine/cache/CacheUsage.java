package dev.kiln.engine.cache;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The disk usage of the cache: each record with the bytes of the layers only it holds (private) and
 * of the layers other records hold too (shared), and the layers no record holds (orphans, left by
 * crashes; {@code prune} removes them). A layer's size is the apparent size of its files; totals
 * count a file hard-linked into several layers once.
 */
public final class CacheUsage {
  /** One record's usage. */
  public record RecordUsage(Digest key, CacheRecord record, long privateBytes, long sharedBytes) {}

  /** The whole cache's usage. */
  public record Report(
      List<RecordUsage> records,
      long privateBytes,
      long sharedBytes,
      long orphanBytes,
      int orphanLayers,
      long totalBytes) {}

  private final Snapshotter snapshotter;
  private final Map<String, Long> sizes = new HashMap<>();
  private final Set<String> inodes = new HashSet<>();
  private long uniqueBytes;

  CacheUsage(Snapshotter snapshotter) {
    this.snapshotter = snapshotter;
  }

  /** Measures {@code entries} against the layers under {@code snapshotter}'s directory. */
  public static Report of(List<CacheStore.Entry> entries, Snapshotter snapshotter)
      throws IOException {
    return new CacheUsage(snapshotter).measure(entries);
  }

  /** How many records hold each layer. */
  static Map<String, Integer> holders(List<CacheStore.Entry> entries) {
    Map<String, Integer> holders = new HashMap<>();
    for (CacheStore.Entry entry : entries) {
      for (String layer : new HashSet<>(entry.record().layers())) {
        holders.merge(layer, 1, Integer::sum);
      }
    }
    return holders;
  }

  private Report measure(List<CacheStore.Entry> entries) throws IOException {
    Map<String, Integer> holders = holders(entries);
    List<RecordUsage> records = new ArrayList<>();
    long privateBytes = 0;
    long sharedBytes = 0;
    for (CacheStore.Entry entry : entries) {
      long own = 0;
      long shared = 0;
      for (String layer : new HashSet<>(entry.record().layers())) {
        if (holders.get(layer) == 1) {
          own += size(layer);
        } else {
          shared += size(layer);
        }
      }
      privateBytes += own;
      records.add(new RecordUsage(entry.key(), entry.record(), own, shared));
    }
    for (Map.Entry<String, Integer> layer : holders.entrySet()) {
      if (layer.getValue() > 1) {
        sharedBytes += size(layer.getKey());
      }
    }
    long orphanBytes = 0;
    int orphans = 0;
    for (String layer : snapshotter.committedIds()) {
      if (!holders.containsKey(layer)) {
        orphanBytes += size(layer);
        orphans++;
      }
    }
    records.sort(
        Comparator.comparingLong((RecordUsage r) -> r.record().lastUsedMillis()).reversed());
    return new Report(records, privateBytes, sharedBytes, orphanBytes, orphans, uniqueBytes);
  }

  /** A layer's apparent size, measured once. */
  long size(String id) throws IOException {
    Long known = sizes.get(id);
    if (known != null) {
      return known;
    }
    Optional<Layer> layer = snapshotter.committed(id);
    long size = 0;
    if (layer.isPresent()) {
      try (Stream<Path> files = Files.walk(layer.get().dir())) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Map<String, Object> attrs =
              Files.readAttributes(file, "unix:size,ino,dev,mode", LinkOption.NOFOLLOW_LINKS);
          if (((Integer) attrs.get("mode") & 0170000) == 0040000) {
            continue; // directories: what they hold counts, not their entries
          }
          long bytes = (Long) attrs.get("size");
          size += bytes;
          if (inodes.add(attrs.get("dev") + ":" + attrs.get("ino"))) {
            uniqueBytes += bytes;
          }
        }
      }
    }
    sizes.put(id, size);
    return size;
  }
}

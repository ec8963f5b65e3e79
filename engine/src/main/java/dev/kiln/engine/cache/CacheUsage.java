package dev.kiln.engine.cache;

import dev.kiln.engine.content.ContentStore;
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
 * crashes; {@code prune} removes them). A layer's size is the apparent size of its files, kept in
 * the store's {@link LayerMeta} once measured; the total on disk (layers and content-store blobs)
 * counts a file hard-linked into several layers once, and is the one figure that walks every layer.
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
      int blobs,
      long blobBytes,
      long totalBytes) {}

  private final Snapshotter snapshotter;
  private final CacheStore store;
  private final Map<String, String> parents = new HashMap<>();

  CacheUsage(Snapshotter snapshotter, CacheStore store, List<CacheStore.Entry> entries) {
    this.snapshotter = snapshotter;
    this.store = store;
    for (CacheStore.Entry entry : entries) {
      for (List<String> stack : entry.record().outputs()) {
        for (int i = 1; i < stack.size(); i++) {
          parents.putIfAbsent(stack.get(i), stack.get(i - 1));
        }
      }
    }
  }

  /**
   * Measures {@code store}'s records against the layers under {@code snapshotter}'s directory, and
   * the blobs of {@code content} (pulled, built and exported images' layers and manifests).
   */
  public static Report of(CacheStore store, Snapshotter snapshotter, ContentStore content)
      throws IOException {
    List<CacheStore.Entry> entries = store.entries();
    return new CacheUsage(snapshotter, store, entries).measure(entries, content);
  }

  /**
   * Keeps the metadata of each layer of {@code stack} (lowest first) that the store has none of
   * yet: the cache calls it when it records a result, so that sizes are measured once.
   */
  public static void remember(
      CacheStore store, Snapshotter snapshotter, List<String> stack, long nowMillis)
      throws IOException {
    for (int i = 0; i < stack.size(); i++) {
      String id = stack.get(i);
      if (store.layer(id).isEmpty()) {
        Optional<String> parent = i == 0 ? Optional.empty() : Optional.of(stack.get(i - 1));
        store.putLayer(new LayerMeta(id, parent, apparentSize(snapshotter, id), nowMillis));
      }
    }
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

  private Report measure(List<CacheStore.Entry> entries, ContentStore content) throws IOException {
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
    List<String> committed = snapshotter.committedIds();
    for (String layer : committed) {
      if (!holders.containsKey(layer)) {
        orphanBytes += size(layer);
        orphans++;
      }
    }
    records.sort(
        Comparator.comparingLong((RecordUsage r) -> r.record().lastUsedMillis()).reversed());
    List<Digest> blobs = content.digests();
    long blobBytes = 0;
    for (Digest blob : blobs) {
      blobBytes += content.size(blob);
    }
    return new Report(
        records,
        privateBytes,
        sharedBytes,
        orphanBytes,
        orphans,
        blobs.size(),
        blobBytes,
        onDisk(committed) + blobBytes);
  }

  /** The apparent bytes of {@code layers}, each counted once: the unit garbage collection uses. */
  long sum(Set<String> layers) throws IOException {
    long total = 0;
    for (String layer : layers) {
      total += size(layer);
    }
    return total;
  }

  /** A layer's apparent size: from its metadata, or measured (and kept) when it has none. */
  long size(String id) throws IOException {
    return size(id, true);
  }

  /** A layer's apparent size; {@code keep}: store it when measured (not for a doomed layer). */
  long size(String id, boolean keep) throws IOException {
    Optional<LayerMeta> known = store.layer(id);
    if (known.isPresent()) {
      return known.get().bytes();
    }
    long size = apparentSize(snapshotter, id);
    if (keep && snapshotter.committed(id).isPresent()) {
      store.putLayer(
          new LayerMeta(
              id, Optional.ofNullable(parents.get(id)), size, System.currentTimeMillis()));
    }
    return size;
  }

  private static long apparentSize(Snapshotter snapshotter, String id) throws IOException {
    long[] size = {0};
    walkFiles(snapshotter, id, (inode, bytes) -> size[0] += bytes);
    return size[0];
  }

  /** The bytes of {@code layers}' files, each inode once. */
  private long onDisk(List<String> layers) throws IOException {
    Set<String> inodes = new HashSet<>();
    long[] total = {0};
    for (String id : layers) {
      walkFiles(
          snapshotter,
          id,
          (inode, bytes) -> {
            if (inodes.add(inode)) {
              total[0] += bytes;
            }
          });
    }
    return total[0];
  }

  private interface FileVisitor {
    void visit(String inode, long bytes);
  }

  /** Visits every non-directory of layer {@code id} (nothing when it is gone). */
  private static void walkFiles(Snapshotter snapshotter, String id, FileVisitor visitor)
      throws IOException {
    Optional<Layer> layer = snapshotter.committed(id);
    if (layer.isEmpty()) {
      return;
    }
    try (Stream<Path> files = Files.walk(layer.get().dir())) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Map<String, Object> attrs =
            Files.readAttributes(file, "unix:size,ino,dev,mode", LinkOption.NOFOLLOW_LINKS);
        if (((Integer) attrs.get("mode") & 0170000) == 0040000) {
          continue; // directories: what they hold counts, not their entries
        }
        visitor.visit(attrs.get("dev") + ":" + attrs.get("ino"), (Long) attrs.get("size"));
      }
    }
  }
}

package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.LayerBlob;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Removes the content store's blobs that nothing keeps. Kept: every blob an image of the image
 * store reaches (its index, manifests, configs and layers); the blob each committed layer was
 * unpacked from; and the manifest and config of a pulled image while one of its layers is kept, so
 * that a cached {@code FROM} finds its image's configuration here. Everything else (cache exports
 * already written out, downloads and pulls whose layers were pruned) goes. Runs only when no build
 * does (prune, or the collection after the last lease), so nothing is being written.
 */
public final class BlobCollector {
  /** Manifests and indexes are small; a larger blob is never read as one. */
  private static final long MAX_MANIFEST_BYTES = 4 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ContentStore content;
  private final Set<Digest> kept = new HashSet<>();

  /** What a sweep removed. */
  public record Swept(int blobs, long bytes) {}

  private BlobCollector(ContentStore content) {
    this.content = content;
  }

  /** Removes every blob of {@code content} that neither {@code images} nor a layer keeps. */
  public static Swept sweep(ContentStore content, ImageStore images, Snapshotter snapshotter)
      throws IOException {
    BlobCollector collector = new BlobCollector(content);
    for (Descriptor image : images.list().values()) {
      collector.keepTree(image.digest());
    }
    for (String id : snapshotter.committedIds()) {
      Optional<Layer> layer = snapshotter.committed(id);
      if (layer.isPresent()) {
        snapshotter.blob(layer.get()).map(LayerBlob::digest).ifPresent(collector.kept::add);
      }
    }
    List<Digest> all = content.digests();
    collector.keepPulledImages(all);
    int blobs = 0;
    long bytes = 0;
    for (Digest digest : all) {
      if (!collector.kept.contains(digest)) {
        bytes += content.delete(digest);
        blobs++;
      }
    }
    return new Swept(blobs, bytes);
  }

  /** Keeps {@code digest} and, when it is an index or a manifest, what it names. */
  private void keepTree(Digest digest) throws IOException {
    if (!kept.add(digest)) {
      return;
    }
    Optional<JsonNode> json = manifest(digest);
    if (json.isEmpty()) {
      return;
    }
    for (Digest child : children(json.get())) {
      keepTree(child);
    }
  }

  /** Keeps each manifest (and its config) that names a kept layer, then indexes of kept ones. */
  private void keepPulledImages(List<Digest> all) throws IOException {
    List<JsonNode> indexes = new ArrayList<>();
    List<Digest> indexDigests = new ArrayList<>();
    for (Digest digest : all) {
      if (kept.contains(digest)) {
        continue;
      }
      Optional<JsonNode> json = manifest(digest);
      if (json.isEmpty()) {
        continue;
      }
      if (json.get().path("manifests").isArray()) {
        indexes.add(json.get());
        indexDigests.add(digest);
      } else if (digests(json.get().path("layers")).stream().anyMatch(kept::contains)) {
        keepTree(digest);
      }
    }
    for (int i = 0; i < indexes.size(); i++) {
      if (digests(indexes.get(i).path("manifests")).stream().anyMatch(kept::contains)) {
        kept.add(indexDigests.get(i));
      }
    }
  }

  /** The blob as JSON when it is small and an OCI or Docker index or manifest. */
  private Optional<JsonNode> manifest(Digest digest) throws IOException {
    Optional<java.nio.file.Path> path = content.path(digest);
    if (path.isEmpty() || java.nio.file.Files.size(path.get()) > MAX_MANIFEST_BYTES) {
      return Optional.empty();
    }
    try (InputStream in = content.open(digest)) {
      JsonNode json = JSON.readTree(in);
      boolean manifest = json != null && json.isObject() && json.path("config").isObject();
      boolean index = json != null && json.isObject() && json.path("manifests").isArray();
      return manifest || index ? Optional.of(json) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // not JSON: a layer or another blob
    }
  }

  private static List<Digest> children(JsonNode json) {
    List<Digest> children = new ArrayList<>(digests(json.path("manifests")));
    children.addAll(digests(json.path("layers")));
    digest(json.path("config")).ifPresent(children::add);
    return children;
  }

  private static List<Digest> digests(JsonNode descriptors) {
    List<Digest> digests = new ArrayList<>();
    for (JsonNode descriptor : descriptors) {
      digest(descriptor).ifPresent(digests::add);
    }
    return digests;
  }

  private static Optional<Digest> digest(JsonNode descriptor) {
    try {
      return Optional.of(Digest.parse(descriptor.path("digest").asText()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}

package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImagePlatform;
import dev.kiln.engine.layer.Compression;
import dev.kiln.engine.layer.LayerUnpacker;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.LayerBlob;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Turns an image, wherever its blobs come from, into a snapshot: picks the manifest for this
 * platform, verifies every blob, and unpacks each layer once per process into its own snapshot
 * layer (concurrent builds asking for the same layer share one fetch and one unpack).
 */
public final class ImageLoader {
  private static final ObjectMapper JSON = new ObjectMapper();
  // Manifests and configs are small; a bound keeps a hostile image from exhausting memory.
  private static final long MAX_DOCUMENT_BYTES = 16L * 1024 * 1024;

  private final ContentStore store;
  private final Snapshotter snapshotter;
  private final ConcurrentMap<Digest, CompletableFuture<Layer>> unpacked =
      new ConcurrentHashMap<>();

  public ImageLoader(ContentStore store, Snapshotter snapshotter) {
    this.store = store;
    this.snapshotter = snapshotter;
  }

  /** The image manifest's descriptor, through an index for this platform if need be. */
  public Descriptor manifest(ImageBlobs image) throws IOException {
    Descriptor top = image.top();
    JsonNode document = document(image, top);
    if (top.isIndex() || document.has("manifests")) {
      try {
        return ImagePlatform.choose(document);
      } catch (IOException e) {
        throw image.error(e.getMessage(), e);
      }
    }
    return top;
  }

  /** The image configuration document (the OCI config: {@code config.Env}, {@code rootfs}…). */
  public JsonNode config(ImageBlobs image) throws IOException {
    return config(image, document(image, manifest(image)));
  }

  /** The image's filesystem: one layer per image layer, base layer lowest. */
  public Snapshot load(ImageBlobs image) throws IOException {
    JsonNode manifest = document(image, manifest(image));
    List<Optional<Digest>> diffIds = diffIds(config(image, manifest));
    List<Layer> layers = new ArrayList<>();
    int i = 0;
    for (JsonNode node : manifest.path("layers")) {
      Descriptor descriptor = descriptor(image, node, "manifest layer " + i);
      Optional<Digest> diffId = i < diffIds.size() ? diffIds.get(i) : Optional.empty();
      layers.add(layer(image, descriptor, diffId));
      i++;
    }
    return new Snapshot(layers);
  }

  /**
   * One layer blob of {@code source}, fetched, checked against {@code diffId} when given and
   * unpacked, once per process however many callers ask.
   */
  public Layer unpackLayer(ImageBlobs source, Descriptor blob, Optional<Digest> diffId)
      throws IOException {
    return layer(source, blob, diffId);
  }

  /** Fetches a JSON document blob (bounded in size) and parses it. */
  public JsonNode document(ImageBlobs image, Descriptor descriptor) throws IOException {
    if (descriptor.size() > MAX_DOCUMENT_BYTES) {
      throw image.error(
          "document " + descriptor.digest() + " is too large (" + descriptor.size() + " bytes)");
    }
    image.fetch(descriptor, store);
    try (InputStream in = store.open(descriptor.digest())) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw image.error(
          "document " + descriptor.digest() + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  private JsonNode config(ImageBlobs image, JsonNode manifest) throws IOException {
    JsonNode config = manifest.path("config");
    if (!config.isObject()) {
      throw image.error("manifest has no config descriptor");
    }
    return document(image, descriptor(image, config, "manifest config"));
  }

  /** Reads a descriptor of {@code image}'s documents; its error names the image. */
  private static Descriptor descriptor(ImageBlobs image, JsonNode node, String where)
      throws IOException {
    try {
      return Descriptor.from(node, where);
    } catch (IOException e) {
      throw image.error(e.getMessage(), e);
    }
  }

  private static List<Optional<Digest>> diffIds(JsonNode config) {
    List<Optional<Digest>> ids = new ArrayList<>();
    for (JsonNode id : config.path("rootfs").path("diff_ids")) {
      try {
        ids.add(Optional.of(Digest.parse(id.asText())));
      } catch (IllegalArgumentException e) {
        ids.add(Optional.empty()); // only sha256 diff ids can be checked
      }
    }
    return ids;
  }

  /**
   * Unpacks a layer unless this process already did; concurrent callers share one unpack. When the
   * shared unpack fails, a caller with another source tries its own: a damaged copy of a blob in
   * one place (an imported cache) must not fail a pull of the same blob from another.
   */
  private Layer layer(ImageBlobs image, Descriptor descriptor, Optional<Digest> diffId)
      throws IOException {
    for (int attempt = 0; ; attempt++) {
      CompletableFuture<Layer> mine = new CompletableFuture<>();
      CompletableFuture<Layer> existing = unpacked.putIfAbsent(descriptor.digest(), mine);
      if (existing == null) {
        return unpackShared(image, descriptor, diffId, mine);
      }
      try {
        Layer layer = await(existing);
        if (!java.nio.file.Files.isDirectory(layer.dir())) {
          // Collected since (the cache's garbage collection): unpack it again.
          unpacked.remove(descriptor.digest(), existing);
          continue;
        }
        return layer;
      } catch (IOException e) {
        unpacked.remove(descriptor.digest(), existing);
        if (attempt == 2) {
          throw e;
        }
      }
    }
  }

  private Layer unpackShared(
      ImageBlobs image,
      Descriptor descriptor,
      Optional<Digest> diffId,
      CompletableFuture<Layer> mine)
      throws IOException {
    try {
      Layer layer = unpack(image, descriptor, diffId);
      mine.complete(layer);
      return layer;
    } catch (IOException | RuntimeException e) {
      unpacked.remove(descriptor.digest(), mine); // a later attempt may succeed
      mine.completeExceptionally(e);
      throw e;
    }
  }

  private Layer unpack(ImageBlobs image, Descriptor descriptor, Optional<Digest> diffId)
      throws IOException {
    image.fetch(descriptor, store);
    ActiveLayer active = snapshotter.prepare();
    try {
      MessageDigest sha = Digest.newSha256();
      try (InputStream raw = store.open(descriptor.digest());
          InputStream tar = new DigestInputStream(Compression.decompress(raw), sha)) {
        LayerUnpacker.unpack(tar, active.upper());
        tar.transferTo(OutputStream.nullOutputStream()); // the tar's padding counts in the diff id
      } catch (IOException e) {
        throw image.error("layer " + descriptor.digest() + ": " + e.getMessage(), e);
      }
      Digest actual = Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
      if (diffId.isPresent() && !diffId.get().equals(actual)) {
        throw image.error(
            "digest mismatch: layer "
                + descriptor.digest()
                + " uncompresses to "
                + actual
                + ", but the config's diff_id is "
                + diffId.get());
      }
      return snapshotter.commit(
          active,
          Optional.of(
              new LayerBlob(
                  descriptor.mediaType(), descriptor.digest(), descriptor.size(), actual)));
    } catch (IOException | RuntimeException e) {
      snapshotter.discard(active);
      throw e;
    }
  }

  private static Layer await(CompletableFuture<Layer> future) throws IOException {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw e;
    }
  }
}

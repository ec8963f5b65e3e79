package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
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
 * Loads images from {@code oci-layout://DIR[:tag|@digest]}: verifies and stores their blobs, and
 * unpacks each layer once per process into its own snapshot layer.
 */
public final class OciLayoutSource {
  private final ContentStore store;
  private final Snapshotter snapshotter;
  private final ConcurrentMap<Digest, CompletableFuture<Layer>> unpacked =
      new ConcurrentHashMap<>();

  public OciLayoutSource(ContentStore store, Snapshotter snapshotter) {
    this.store = store;
    this.snapshotter = snapshotter;
  }

  /** The digest {@code identifier} points at, from {@code index.json} alone; a cache digest. */
  public Digest resolveManifest(String identifier) throws IOException {
    OciReference ref = OciReference.parse(identifier);
    return OciLayout.open(ref.dir()).find(ref).digest();
  }

  /** The image's filesystem: one layer per image layer, base layer lowest. */
  public Snapshot load(String identifier) throws IOException {
    OciReference ref = OciReference.parse(identifier);
    OciLayout layout = OciLayout.open(ref.dir());
    JsonNode manifest = manifest(layout, ref);
    List<Optional<Digest>> diffIds = diffIds(layout, manifest);
    List<Layer> layers = new ArrayList<>();
    int i = 0;
    for (JsonNode node : manifest.path("layers")) {
      Descriptor descriptor = Descriptor.from(node, "oci-layout " + ref.dir() + ": manifest");
      Optional<Digest> diffId = i < diffIds.size() ? diffIds.get(i) : Optional.empty();
      layers.add(layer(layout, descriptor, diffId));
      i++;
    }
    return new Snapshot(layers);
  }

  /**
   * The image configuration (the OCI config document: {@code config.Env}, {@code Cmd}, ...) that
   * {@code identifier} names; frontends read it to start a stage from the image.
   */
  public JsonNode imageConfig(String identifier) throws IOException {
    OciReference ref = OciReference.parse(identifier);
    OciLayout layout = OciLayout.open(ref.dir());
    JsonNode config = manifest(layout, ref).path("config");
    if (!config.isObject()) {
      throw layout.error("manifest has no config descriptor");
    }
    return layout.document(Descriptor.from(config, "manifest config"), store);
  }

  /** The image manifest {@code ref} names, through an index for this platform if need be. */
  private JsonNode manifest(OciLayout layout, OciReference ref) throws IOException {
    Descriptor top = layout.find(ref);
    JsonNode manifest = layout.document(top, store);
    if (top.isIndex() || manifest.has("manifests")) {
      Descriptor chosen = ImagePlatform.choose(manifest, layout);
      manifest = layout.document(chosen, store);
    }
    return manifest;
  }

  private List<Optional<Digest>> diffIds(OciLayout layout, JsonNode manifest) throws IOException {
    JsonNode config = manifest.path("config");
    if (!config.isObject()) {
      throw layout.error("manifest has no config descriptor");
    }
    JsonNode image = layout.document(Descriptor.from(config, "manifest config"), store);
    List<Optional<Digest>> ids = new ArrayList<>();
    for (JsonNode id : image.path("rootfs").path("diff_ids")) {
      try {
        ids.add(Optional.of(Digest.parse(id.asText())));
      } catch (IllegalArgumentException e) {
        ids.add(Optional.empty()); // only sha256 diff ids can be checked
      }
    }
    return ids;
  }

  /** Unpacks a layer unless this process already did; concurrent callers share one unpack. */
  private Layer layer(OciLayout layout, Descriptor descriptor, Optional<Digest> diffId)
      throws IOException {
    CompletableFuture<Layer> mine = new CompletableFuture<>();
    CompletableFuture<Layer> existing = unpacked.putIfAbsent(descriptor.digest(), mine);
    if (existing != null) {
      return await(existing);
    }
    try {
      Layer layer = unpack(layout, descriptor, diffId);
      mine.complete(layer);
      return layer;
    } catch (IOException | RuntimeException e) {
      unpacked.remove(descriptor.digest(), mine); // a later attempt may succeed
      mine.completeExceptionally(e);
      throw e;
    }
  }

  private Layer unpack(OciLayout layout, Descriptor descriptor, Optional<Digest> diffId)
      throws IOException {
    layout.ingest(descriptor, store);
    ActiveLayer active = snapshotter.prepare();
    try {
      MessageDigest sha = Digest.newSha256();
      try (InputStream raw = store.open(descriptor.digest());
          InputStream tar = new DigestInputStream(Compression.decompress(raw), sha)) {
        LayerUnpacker.unpack(tar, active.upper());
        tar.transferTo(OutputStream.nullOutputStream()); // the tar's padding counts in the diff id
      } catch (IOException e) {
        throw layout.error("layer " + descriptor.digest() + ": " + e.getMessage(), e);
      }
      Digest actual = Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
      if (diffId.isPresent() && !diffId.get().equals(actual)) {
        throw layout.error(
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

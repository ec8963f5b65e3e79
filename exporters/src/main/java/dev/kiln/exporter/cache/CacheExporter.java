package dev.kiln.exporter.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.Engine;
import dev.kiln.engine.cache.CacheManifest;
import dev.kiln.engine.cache.CacheRecord;
import dev.kiln.engine.content.AtomicFile;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.layer.LayerDiffWriter;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.exporter.image.BuiltImage;
import dev.kiln.exporter.image.ImageLayer;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.LayerBlobs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Exports a build's cache records as a cache image whose config lists the records and whose layers
 * are theirs: into the content store, then to an OCI image layout tagged {@value CacheManifest#TAG}
 * ({@code --cache-to type=local,dest=DIR}) or pushed to a registry ({@code type=registry,ref=REF}).
 * In a layout, blobs are written first, each by temp + rename, and {@code index.json} last, so a
 * layout is never left naming a missing blob; blobs already there are kept.
 */
public final class CacheExporter {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A cache image in the content store and how many records it carries. */
  public record Built(BuiltImage image, int records) {}

  private final Engine engine;
  private final ImageOptions options;
  // Layer id -> its blob (empty: the layer changes nothing), made once per export.
  private final Map<String, Optional<ImageLayer>> blobs = new HashMap<>();

  public CacheExporter(Engine engine, ImageOptions options) {
    this.engine = engine;
    this.options = options;
  }

  /**
   * Builds the cache image of the records of {@code keys} (a build's steps) under {@code mode},
   * with the contents of every cache mount when {@code cacheMounts}.
   */
  public synchronized Built build(
      Collection<Digest> keys, Snapshot result, CacheMode mode, boolean cacheMounts)
      throws IOException {
    Set<String> resultLayers = result.layers().stream().map(Layer::id).collect(Collectors.toSet());
    Map<Digest, Descriptor> layerBlobs = new LinkedHashMap<>();
    Map<Digest, Digest> diffIds = new HashMap<>();
    List<CacheManifest.Exported> records = new ArrayList<>();
    for (Digest key : Set.copyOf(keys)) {
      Optional<CacheRecord> found = engine.cacheRecord(key);
      if (found.isEmpty()) {
        continue;
      }
      CacheRecord record = found.get();
      if (mode == CacheMode.MIN && !resultLayers.containsAll(record.layers())) {
        continue;
      }
      Optional<List<List<CacheManifest.LayerRef>>> outputs = outputs(record);
      if (outputs.isEmpty()) {
        continue;
      }
      for (List<CacheManifest.LayerRef> output : outputs.get()) {
        for (CacheManifest.LayerRef ref : output) {
          layerBlobs.putIfAbsent(ref.blob().digest(), ref.blob());
          diffIds.putIfAbsent(ref.blob().digest(), ref.diffId());
        }
      }
      records.add(
          new CacheManifest.Exported(
              key, record.kind(), record.description(), record.parts(), outputs.get()));
    }
    ContentStore content = engine.content();
    List<CacheManifest.MountRef> mounts = new ArrayList<>();
    if (cacheMounts) {
      for (Path dir : mountDirs()) {
        ImageLayer layer = mountLayer(content, dir);
        mounts.add(new CacheManifest.MountRef(dir.getFileName().toString(), layer.descriptor()));
        layerBlobs.putIfAbsent(layer.descriptor().digest(), layer.descriptor());
        diffIds.putIfAbsent(layer.descriptor().digest(), layer.diffId());
      }
    }
    Descriptor config =
        stored(content, CacheManifest.MEDIA_TYPE, new CacheManifest(records, mounts).toJson());
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.set("config", config.toJson());
    var layers = manifest.putArray("layers");
    layerBlobs.values().forEach(blob -> layers.add(blob.toJson()));
    Descriptor manifestBlob =
        stored(content, MediaTypes.OCI_MANIFEST, JSON.writeValueAsBytes(manifest));

    List<ImageLayer> imageLayers = new ArrayList<>();
    for (Descriptor blob : layerBlobs.values()) {
      imageLayers.add(new ImageLayer(blob, diffIds.get(blob.digest())));
    }
    return new Built(new BuiltImage(manifestBlob, config, imageLayers), records.size());
  }

  /**
   * Makes the blobs of {@code key}'s record now, while the build goes on (called as steps
   * complete), so that {@link #build} at the end finds them ready instead of pausing to make them.
   */
  public synchronized void prepare(Digest key) throws IOException {
    Optional<CacheRecord> record = engine.cacheRecord(key);
    if (record.isPresent()) {
      outputs(record.get());
    }
  }

  /** Writes {@code image} (in the content store) as the cache image of the layout {@code dest}. */
  public void writeLayout(BuiltImage image, Path dest) throws IOException {
    ContentStore content = engine.content();
    Files.createDirectories(dest.resolve("blobs/sha256"));
    for (Descriptor blob : image.blobs()) {
      copy(content, blob, dest);
    }
    AtomicFile.write(
        dest.resolve("oci-layout"),
        "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        false);
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    Descriptor manifest = image.manifest();
    index
        .putArray("manifests")
        .add(
            new Descriptor(
                    manifest.mediaType(),
                    manifest.digest(),
                    manifest.size(),
                    Map.of(Descriptor.REF_NAME, CacheManifest.TAG),
                    Optional.empty())
                .toJson());
    AtomicFile.write(dest.resolve("index.json"), JSON.writeValueAsBytes(index), false);
  }

  /** The shared directories of cache mounts (not the extra ones private sharing makes). */
  private List<Path> mountDirs() throws IOException {
    Path dir = engine.cacheMountsDir();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .filter(p -> p.getFileName().toString().matches("[0-9a-f]{64}"))
          .filter(Files::isDirectory)
          .sorted()
          .toList();
    }
  }

  /** A cache mount's directory as a gzip layer in the content store. */
  private static ImageLayer mountLayer(ContentStore content, Path dir) throws IOException {
    Path temp = Files.createTempFile("kiln-cache-mount-", ".tar.gz");
    try {
      MessageDigest diff = Digest.newSha256();
      try (OutputStream file = Files.newOutputStream(temp);
          GZIPOutputStream gzip = new GZIPOutputStream(file, 64 * 1024);
          DigestOutputStream tar = new DigestOutputStream(gzip, diff)) {
        LayerDiffWriter.write(dir, tar, LayerDiffWriter.Times.wholeSeconds(Optional.empty()));
      }
      long size = Files.size(temp);
      Digest digest;
      try (InputStream in = Files.newInputStream(temp)) {
        digest = content.ingest(in, Optional.empty(), size);
      }
      return new ImageLayer(
          new Descriptor(MediaTypes.OCI_LAYER_GZIP, digest, size, Map.of(), Optional.empty()),
          Digest.fromHex(HexFormat.of().formatHex(diff.digest())));
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** A record's outputs as image layers; empty when one of its layers is gone. */
  private Optional<List<List<CacheManifest.LayerRef>>> outputs(CacheRecord record)
      throws IOException {
    List<List<CacheManifest.LayerRef>> outputs = new ArrayList<>();
    for (List<String> ids : record.outputs()) {
      List<CacheManifest.LayerRef> refs = new ArrayList<>();
      for (String id : ids) {
        Optional<Layer> layer = engine.snapshotter().committed(id);
        if (layer.isEmpty()) {
          return Optional.empty();
        }
        if (!blobs.containsKey(id)) {
          blobs.put(
              id, LayerBlobs.export(engine.snapshotter(), engine.content(), options, layer.get()));
        }
        // A layer that changes nothing has no blob: the imported stack simply lacks it.
        blobs
            .get(id)
            .ifPresent(l -> refs.add(new CacheManifest.LayerRef(l.descriptor(), l.diffId())));
      }
      outputs.add(refs);
    }
    return Optional.of(outputs);
  }

  private static Descriptor stored(ContentStore content, String mediaType, byte[] bytes)
      throws IOException {
    Digest digest = content.ingest(new ByteArrayInputStream(bytes), Optional.empty(), bytes.length);
    return new Descriptor(mediaType, digest, bytes.length, Map.of(), Optional.empty());
  }

  private static void copy(ContentStore content, Descriptor blob, Path dest) throws IOException {
    Path target = dest.resolve("blobs/sha256/" + blob.digest().hex());
    if (Files.isRegularFile(target) && Files.size(target) == blob.size()) {
      return;
    }
    Path source =
        content
            .path(blob.digest())
            .orElseThrow(() -> new IOException("blob " + blob.digest() + " is not in the store"));
    Path temp = target.resolveSibling(blob.digest().hex() + ".tmp");
    Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}

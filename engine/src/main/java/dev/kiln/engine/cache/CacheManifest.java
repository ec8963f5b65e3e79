package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Exported cache records, as the config blob of a cache image ({@link #MEDIA_TYPE}): per record its
 * key, what made it and, per output, its layers as image layer blobs with their diff ids. The
 * layers themselves are the image's layers; an importer fetches only those a hit needs.
 */
public record CacheManifest(List<Exported> records, List<MountRef> mounts) {
  /** The config media type of a Kiln cache image. */
  public static final String MEDIA_TYPE = "application/vnd.kiln.cache.config.v1+json";

  /** Where an image configuration carries an inline cache ({@code --cache-to type=inline}). */
  public static final String INLINE_KEY = "dev.kiln.cache.v1";

  /** The tag of the cache image in an OCI layout ({@code org.opencontainers.image.ref.name}). */
  public static final String TAG = "cache";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_RECORDS = 1_000_000;

  /**
   * A cache mount's directory ({@code RUN --mount=type=cache}) as a layer blob: {@code name} is its
   * directory's name under {@code ROOT/cache-mounts} (the sha256 of its id).
   */
  public record MountRef(String name, Descriptor blob) {
    public MountRef {
      if (!name.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("cache mount name " + name + " is not 64 hex digits");
      }
    }
  }

  /** One layer of an output: the blob and the digest of its uncompressed tar. */
  public record LayerRef(Descriptor blob, Digest diffId) {}

  /** One exported record. */
  public record Exported(
      Digest key, String kind, String description, KeyParts parts, List<List<LayerRef>> outputs) {
    public Exported {
      outputs = outputs.stream().map(List::copyOf).toList();
    }
  }

  public CacheManifest {
    records = List.copyOf(records);
    mounts = List.copyOf(mounts);
  }

  /** Records only. */
  public CacheManifest(List<Exported> records) {
    this(records, List.of());
  }

  public byte[] toJson() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("mediaType", MEDIA_TYPE);
    ArrayNode list = root.putArray("records");
    for (Exported record : records) {
      ObjectNode r = list.addObject();
      r.put("key", record.key().toString());
      r.put("kind", record.kind());
      r.put("description", record.description());
      record.parts().writeTo(r);
      ArrayNode outputs = r.putArray("outputs");
      for (List<LayerRef> output : record.outputs()) {
        ArrayNode layers = outputs.addArray();
        for (LayerRef layer : output) {
          ObjectNode l = layer.blob().toJson();
          l.put("diffId", layer.diffId().toString());
          layers.add(l);
        }
      }
    }
    ArrayNode mountList = root.putArray("cacheMounts");
    for (MountRef mount : mounts) {
      ObjectNode m = mount.blob().toJson();
      m.put("name", mount.name());
      mountList.add(m);
    }
    return JSON.writeValueAsBytes(root);
  }

  /** Parses a cache config; {@code where} names it in errors. */
  public static CacheManifest parse(byte[] bytes, String where) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(where + ": not JSON: " + e.getMessage(), e);
    }
    if (root == null || !MEDIA_TYPE.equals(root.path("mediaType").asText())) {
      throw new IOException(where + ": not a Kiln cache (mediaType is not " + MEDIA_TYPE + ")");
    }
    JsonNode list = root.path("records");
    if (!list.isArray() || list.size() > MAX_RECORDS) {
      throw new IOException(where + ": records must be an array of at most " + MAX_RECORDS);
    }
    List<Exported> records = new ArrayList<>();
    int i = 0;
    for (JsonNode r : list) {
      String at = where + ": records[" + i++ + "]";
      try {
        List<List<LayerRef>> outputs = new ArrayList<>();
        for (JsonNode output : r.path("outputs")) {
          List<LayerRef> layers = new ArrayList<>();
          for (JsonNode layer : output) {
            layers.add(
                new LayerRef(
                    Descriptor.from(layer, at), Digest.parse(layer.path("diffId").asText())));
          }
          outputs.add(layers);
        }
        records.add(
            new Exported(
                Digest.parse(r.path("key").asText()),
                r.path("kind").asText(""),
                r.path("description").asText(""),
                KeyParts.readFrom(r),
                outputs));
      } catch (IllegalArgumentException e) {
        throw new IOException(at + ": " + e.getMessage(), e);
      }
    }
    List<MountRef> mounts = new ArrayList<>();
    int m = 0;
    for (JsonNode mount : root.path("cacheMounts")) {
      String at = where + ": cacheMounts[" + m++ + "]";
      try {
        mounts.add(new MountRef(mount.path("name").asText(), Descriptor.from(mount, at)));
      } catch (IllegalArgumentException e) {
        throw new IOException(at + ": " + e.getMessage(), e);
      }
    }
    return new CacheManifest(records, mounts);
  }
}

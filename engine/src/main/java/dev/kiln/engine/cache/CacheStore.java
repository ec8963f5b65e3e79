package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.CheckedBytes;
import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteOptions;

/**
 * Kiln's persistent cache records and layer metadata in LevelDB ({@code ROOT/meta}, through LevelDB
 * JNI); records are written with sync. LevelDB's own lock keeps the store to one opener at a time,
 * in this process or any other. Every value carries the sha256 of its JSON, so a damaged value
 * costs only its entry.
 */
public final class CacheStore implements AutoCloseable {
  private static final String PREFIX = "cache/";
  private static final String LAYER_PREFIX = "layer/";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DB db;
  private final Path dir;
  private final WriteOptions sync = new WriteOptions().sync(true);

  private CacheStore(DB db, Path dir) {
    this.db = db;
    this.dir = dir;
  }

  /** Opens (creating) the store of {@code root}; fails clearly when someone else holds it. */
  public static CacheStore open(Path root) throws IOException {
    Path dir = root.resolve("meta");
    Files.createDirectories(dir);
    try {
      return new CacheStore(
          JniDBFactory.factory.open(dir.toFile(), new Options().createIfMissing(true)), dir);
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("lock")) {
        throw new IOException(
            "the cache in " + dir + " is in use by another kiln (" + e.getMessage() + ")", e);
      }
      throw new IOException("cannot open the cache in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Records {@code record} for {@code key}, durably (fsync) before returning. */
  public void put(Digest key, CacheRecord record) throws IOException {
    dev.kiln.engine.fault.CrashPoint.reach(dev.kiln.engine.fault.CrashPoint.RECORD_WRITE);
    putRaw(key, encode(record), sync);
  }

  /**
   * Rewrites {@code record} without waiting for the disk: for bookkeeping such as last use, whose
   * loss in a crash costs nothing but precision.
   */
  public void update(Digest key, CacheRecord record) throws IOException {
    putRaw(key, encode(record), new WriteOptions().sync(false));
  }

  private static byte[] encode(CacheRecord record) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    json.putPOJO("outputs", record.outputs());
    json.put("kind", record.kind());
    json.put("description", record.description());
    record.parts().writeTo(json);
    json.put("created", record.createdMillis());
    json.put("lastUsed", record.lastUsedMillis());
    byte[] body = JSON.writeValueAsBytes(json);
    return CheckedBytes.wrap(body);
  }

  /** The record of {@code key}; a damaged one is dropped and reads as absent. */
  public Optional<CacheRecord> get(Digest key) throws IOException {
    byte[] value = db.get(bytes(key));
    if (value == null) {
      return Optional.empty();
    }
    Optional<CacheRecord> record = decode(value);
    if (record.isEmpty()) {
      db.delete(bytes(key), sync);
    }
    return record;
  }

  /** A record with its key. */
  public record Entry(Digest key, CacheRecord record) {}

  /** Every readable record (damaged ones are skipped; the consistency pass drops them). */
  public List<Entry> entries() throws IOException {
    List<Entry> entries = new ArrayList<>();
    scan(
        PREFIX,
        (key, value) ->
            decode(value).ifPresent(record -> entries.add(new Entry(Digest.parse(key), record))));
    return entries;
  }

  /**
   * Calls {@code visitor} with each key (without {@code prefix}) and value under {@code prefix}.
   */
  private void scan(String prefix, java.util.function.BiConsumer<String, byte[]> visitor)
      throws IOException {
    byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
    try (DBIterator it = db.iterator()) {
      for (it.seek(start); it.hasNext(); ) {
        Map.Entry<byte[], byte[]> entry = it.next();
        if (!startsWith(entry.getKey(), start)) {
          break;
        }
        String key = new String(entry.getKey(), StandardCharsets.UTF_8);
        visitor.accept(key.substring(prefix.length()), entry.getValue());
      }
    }
  }

  /** Forgets {@code key}'s record, durably. */
  public void delete(Digest key) {
    db.delete(bytes(key), sync);
  }

  /**
   * The start-up consistency pass: drops records that are damaged or whose data {@code missing}
   * says is gone, and returns how many it dropped.
   */
  public int dropWhere(Predicate<CacheRecord> missing) throws IOException {
    List<String> doomed = new ArrayList<>();
    scan(
        PREFIX,
        (key, value) -> {
          Optional<CacheRecord> record = decode(value);
          if (record.isEmpty() || missing.test(record.get())) {
            doomed.add(key);
          }
        });
    for (String key : doomed) {
      db.delete((PREFIX + key).getBytes(StandardCharsets.UTF_8), sync);
    }
    return doomed.size();
  }

  /** Forgets the metadata of every layer not in {@code present}. */
  public void dropLayersExcept(java.util.Set<String> present) throws IOException {
    List<String> doomed = new ArrayList<>();
    scan(
        LAYER_PREFIX,
        (id, value) -> {
          if (!present.contains(id)) {
            doomed.add(id);
          }
        });
    doomed.forEach(this::deleteLayer);
  }

  /** Writes a value as it is; tests use it to damage one. */
  void putRaw(Digest key, byte[] value) {
    putRaw(key, value, sync);
  }

  private void putRaw(Digest key, byte[] value, WriteOptions options) {
    db.put(bytes(key), value, options);
  }

  /**
   * Keeps {@code meta} without waiting for the disk: it can be measured again, so a crash that
   * loses it costs only that.
   */
  public void putLayer(LayerMeta meta) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    meta.parent().ifPresent(parent -> json.put("parent", parent));
    json.put("bytes", meta.bytes());
    json.put("created", meta.createdMillis());
    db.put(layerKey(meta.id()), CheckedBytes.wrap(JSON.writeValueAsBytes(json)));
  }

  /** The metadata of layer {@code id}; a damaged value reads as absent. */
  public Optional<LayerMeta> layer(String id) {
    byte[] value = db.get(layerKey(id));
    if (value == null) {
      return Optional.empty();
    }
    return CheckedBytes.unwrap(value)
        .flatMap(
            body -> {
              try {
                JsonNode json = JSON.readTree(body);
                if (!json.path("bytes").isIntegralNumber()) {
                  return Optional.empty();
                }
                return Optional.of(
                    new LayerMeta(
                        id,
                        Optional.ofNullable(json.get("parent")).map(JsonNode::asText),
                        json.path("bytes").asLong(),
                        json.path("created").asLong()));
              } catch (IOException e) {
                return Optional.empty();
              }
            });
  }

  /** Forgets layer {@code id}'s metadata (its layer is being removed). */
  public void deleteLayer(String id) {
    db.delete(layerKey(id));
  }

  private static byte[] layerKey(String id) {
    return (LAYER_PREFIX + id).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    db.close();
  }

  @Override
  public String toString() {
    return "CacheStore[" + dir + "]";
  }

  private static Optional<CacheRecord> decode(byte[] value) {
    Optional<byte[]> checked = CheckedBytes.unwrap(value);
    if (checked.isEmpty()) {
      return Optional.empty();
    }
    byte[] body = checked.get();
    try {
      JsonNode json = JSON.readTree(body);
      if (!json.path("outputs").isArray()) {
        return Optional.empty();
      }
      List<List<String>> outputs = new ArrayList<>();
      for (JsonNode output : json.path("outputs")) {
        List<String> layers = new ArrayList<>();
        output.forEach(layer -> layers.add(layer.asText()));
        outputs.add(layers);
      }
      return Optional.of(
          new CacheRecord(
              outputs,
              json.path("kind").asText(""),
              json.path("description").asText(""),
              KeyParts.readFrom(json),
              json.path("created").asLong(),
              json.path("lastUsed").asLong()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static byte[] bytes(Digest key) {
    return (PREFIX + key).getBytes(StandardCharsets.UTF_8);
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(Arrays.copyOf(bytes, prefix.length), prefix);
  }
}

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
 * Kiln's persistent cache records in LevelDB ({@code ROOT/meta}, through LevelDB JNI), written with
 * sync. LevelDB's own lock keeps the store to one opener at a time, in this process or any other.
 * Every value carries the sha256 of its JSON, so a damaged value costs only its entry.
 */
public final class CacheStore implements AutoCloseable {
  private static final String PREFIX = "cache/";
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
    byte[] prefix = PREFIX.getBytes(StandardCharsets.UTF_8);
    try (DBIterator it = db.iterator()) {
      for (it.seek(prefix); it.hasNext(); ) {
        Map.Entry<byte[], byte[]> entry = it.next();
        if (!startsWith(entry.getKey(), prefix)) {
          break;
        }
        Optional<CacheRecord> record = decode(entry.getValue());
        if (record.isPresent()) {
          String key =
              new String(entry.getKey(), StandardCharsets.UTF_8).substring(PREFIX.length());
          entries.add(new Entry(Digest.parse(key), record.get()));
        }
      }
    }
    return entries;
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
    List<byte[]> doomed = new ArrayList<>();
    try (DBIterator it = db.iterator()) {
      byte[] prefix = PREFIX.getBytes(StandardCharsets.UTF_8);
      for (it.seek(prefix); it.hasNext(); ) {
        Map.Entry<byte[], byte[]> entry = it.next();
        if (!startsWith(entry.getKey(), prefix)) {
          break;
        }
        Optional<CacheRecord> record = decode(entry.getValue());
        if (record.isEmpty() || missing.test(record.get())) {
          doomed.add(entry.getKey());
        }
      }
    }
    for (byte[] key : doomed) {
      db.delete(key, sync);
    }
    return doomed.size();
  }

  /** Writes a value as it is; tests use it to damage one. */
  void putRaw(Digest key, byte[] value) {
    putRaw(key, value, sync);
  }

  private void putRaw(Digest key, byte[] value, WriteOptions options) {
    db.put(bytes(key), value, options);
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

package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.AtomicFile;
import dev.kiln.engine.content.CheckedBytes;
import dev.kiln.engine.fileop.ByteCopy;
import dev.kiln.engine.fileop.FileInfo;
import dev.kiln.engine.fileop.LinkSource;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Local sources that remember what they saw, as BuildKit's file sync does: per host directory and
 * selection, each file's stat stamp (size, mtime, ctime, inode, mode) with its content digest, and
 * the layer of the last copy. A checksum then reads only files whose stamp changed, and a copy
 * hard-links every file unchanged since the last copy from that layer instead of copying it. The
 * index is kept in {@code ROOT/local/} (one file per directory and selection, verified by its
 * sha256, written with temp + rename), so a new process starts where the last one stopped. The
 * first checksum of a directory copies it at the same time, reading each file once: the copy that
 * follows a miss then takes that layer as it is, when nothing changed in between.
 */
public final class LocalSync {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What identifies an unchanged file without reading it. */
  record Stamp(long size, long mtimeNanos, long ctimeNanos, long inode, int mode) {
    static Stamp of(FileInfo info) {
      return new Stamp(
          info.size(), nanos(info.mtime()), nanos(info.ctime()), info.inode(), info.mode());
    }

    /** The same stamp made never to match a file again. */
    Stamp untrusted() {
      return new Stamp(size, mtimeNanos, ctimeNanos, -1, mode);
    }

    private static long nanos(java.nio.file.attribute.FileTime time) {
      java.time.Instant instant = time.toInstant();
      return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
  }

  /** A file as last seen: its stamp and the digest of its bytes. */
  record Known(Stamp stamp, byte[] digest) {}

  /**
   * One directory and selection: files as the last checksum saw them, and the layer of the last
   * copy with the stamps its files had when they were copied (the checksum may have seen newer).
   */
  private static final class Index {
    Map<String, Known> files = new HashMap<>();
    Optional<String> layer = Optional.empty();
    Map<String, Stamp> layerFiles = new HashMap<>();
    // The checksum of the layer's selection, when the layer was made by a first checksum and
    // holds exactly what that checksum covered.
    Optional<String> layerChecksum = Optional.empty();
    // In memory only: the last checksum, and what it found changed since the one before.
    Optional<String> lastChecksum = Optional.empty();
    List<String> lastChanges = List.of();
  }

  private final Path dir;
  private final Snapshotter snapshotter;
  private final Duration racyWindow;
  private final Map<String, Index> indexes = new ConcurrentHashMap<>();

  public LocalSync(Path root, Snapshotter snapshotter) throws IOException {
    this(root, snapshotter, Duration.ofSeconds(1));
  }

  /** {@code racyWindow}: files changed this recently are read again next time (tests use 0). */
  LocalSync(Path root, Snapshotter snapshotter, Duration racyWindow) throws IOException {
    this.dir = Files.createDirectories(root.resolve("local"));
    this.snapshotter = snapshotter;
    this.racyWindow = racyWindow;
  }

  /** {@link LocalSource#checksum}'s value, reading only files changed since they were last seen. */
  public String checksum(Path source, List<String> include, List<String> exclude)
      throws IOException {
    String id = id(source, include, exclude);
    Index index = index(id);
    synchronized (index) {
      long racyAfter = (System.currentTimeMillis() - racyWindow.toMillis()) * 1_000_000L;
      boolean first = index.files.isEmpty();
      Map<String, Known> copied =
          first ? firstCopy(source, include, exclude, index, racyAfter) : Map.of();
      boolean[] layerMatches = {first};
      Map<String, Known> seen = new HashMap<>();
      String checksum =
          LocalSource.checksum(
              source,
              include,
              exclude,
              entry -> {
                Stamp stamp = Stamp.of(entry.info());
                Known known = index.files.get(entry.relative());
                Known copy = copied.get(entry.relative());
                if (known != null && known.stamp().equals(stamp)) {
                  // unchanged since last seen
                } else if (copy != null && copy.stamp().equals(stamp) && !racy(stamp, racyAfter)) {
                  known = copy;
                } else {
                  byte[] digest = LocalSource.contentDigest(entry.path());
                  if (copy == null || !Arrays.equals(copy.digest(), digest)) {
                    layerMatches[0] = false; // changed while it was being copied
                  }
                  // A file changed within the last second may change again within the same
                  // timestamp tick: its stamp is not trusted next time (git's "racily clean").
                  known = new Known(racy(stamp, racyAfter) ? stamp.untrusted() : stamp, digest);
                }
                seen.put(entry.relative(), known);
                return known.digest();
              });
      index.lastChanges = changes(index.files, seen);
      index.lastChecksum = Optional.of(checksum);
      if (first) {
        boolean same = layerMatches[0] && seen.keySet().equals(copied.keySet());
        index.layerChecksum = same ? Optional.of(checksum) : Optional.empty();
      }
      if (first || !sameFiles(seen, index.files)) {
        index.files = seen;
        save(id, index);
      }
      return checksum;
    }
  }

  /**
   * Copies {@code source} into a new layer while hashing each file from the same read, and makes it
   * the index's layer; returns the files copied with their stamps and digests.
   */
  private Map<String, Known> firstCopy(
      Path source, List<String> include, List<String> exclude, Index index, long racyAfter)
      throws IOException {
    Map<String, Stamp> stamps = new HashMap<>();
    Map<String, byte[]> digests = new HashMap<>();
    LinkSource noted =
        (src, info, owner, mode) -> {
          stamps.put(source.relativize(src).toString(), Stamp.of(info));
          return Optional.empty();
        };
    byte[] buffer = new byte[256 * 1024];
    ByteCopy hashing =
        (src, dest) ->
            digests.put(
                source.relativize(src).toString(), LocalSource.copyWithDigest(src, dest, buffer));
    Snapshot snapshot = LocalSource.copy(source, include, exclude, snapshotter, noted, hashing);
    index.layer = Optional.of(snapshot.layers().get(0).id());
    Map<String, Known> copied = new HashMap<>();
    Map<String, Stamp> layerFiles = new HashMap<>();
    stamps.forEach(
        (relative, stamp) -> {
          layerFiles.put(relative, racy(stamp, racyAfter) ? stamp.untrusted() : stamp);
          byte[] digest = digests.get(relative);
          if (digest != null) {
            copied.put(relative, new Known(stamp, digest));
          }
        });
    index.layerFiles = layerFiles;
    return copied;
  }

  /**
   * {@link LocalSource#copy}, linking files unchanged since the last copy from its layer; the new
   * layer becomes the one later copies link from. When the last checksum was the first and nothing
   * changed while it copied, its layer is the copy.
   */
  public Snapshot copy(Path source, List<String> include, List<String> exclude) throws IOException {
    String id = id(source, include, exclude);
    Index index = index(id);
    synchronized (index) {
      Optional<Layer> last = index.layer.flatMap(snapshotter::committed);
      if (last.isPresent()
          && index.layerChecksum.isPresent()
          && index.layerChecksum.equals(index.lastChecksum)) {
        return Snapshot.SCRATCH.plus(last.get());
      }
      Map<String, Stamp> before = index.layerFiles;
      Map<String, Stamp> copied = new HashMap<>();
      long racyAfter = (System.currentTimeMillis() - racyWindow.toMillis()) * 1_000_000L;
      LinkSource links =
          (src, info, owner, mode) -> {
            String relative = source.relativize(src).toString();
            Stamp stamp = Stamp.of(info);
            copied.put(relative, racy(stamp, racyAfter) ? stamp.untrusted() : stamp);
            // Linked files are owned 0:0 in both layers; the stamp covers mode and mtime.
            return last.isPresent() && stamp.equals(before.get(relative))
                ? Optional.of(last.get().dir().resolve(relative))
                : Optional.empty();
          };
      Snapshot snapshot =
          LocalSource.copy(source, include, exclude, snapshotter, links, ByteCopy.KERNEL);
      index.layer = Optional.of(snapshot.layers().get(0).id());
      index.layerFiles = copied;
      index.layerChecksum = Optional.empty();
      save(id, index);
      return snapshot;
    }
  }

  /**
   * The files the last checksum of {@code source} found added, modified or removed since the one
   * before it ({@code modified src/app.txt}), sorted, at most 10 and a count of the rest.
   */
  public List<String> lastChanges(Path source, List<String> include, List<String> exclude) {
    Index index = index(id(source, include, exclude));
    synchronized (index) {
      return index.lastChanges;
    }
  }

  private static List<String> changes(Map<String, Known> before, Map<String, Known> now) {
    List<String> changes = new ArrayList<>();
    now.forEach(
        (path, known) -> {
          Known old = before.get(path);
          if (old == null) {
            changes.add("added " + path);
          } else if (!Arrays.equals(old.digest(), known.digest())) {
            changes.add("modified " + path);
          }
        });
    before.keySet().stream()
        .filter(p -> !now.containsKey(p))
        .forEach(p -> changes.add("removed " + p));
    Collections.sort(changes);
    if (changes.size() > 10) {
      int more = changes.size() - 10;
      List<String> shown = new ArrayList<>(changes.subList(0, 10));
      shown.add(more + " more");
      return shown;
    }
    return changes;
  }

  /** Forgets every index: the next checksum of each directory reads every file again. */
  public void forgetAll() throws IOException {
    indexes.clear();
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
    }
  }

  private static boolean racy(Stamp stamp, long afterNanos) {
    return stamp.mtimeNanos() > afterNanos || stamp.ctimeNanos() > afterNanos;
  }

  private static boolean sameFiles(Map<String, Known> a, Map<String, Known> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, Known> e : a.entrySet()) {
      if (!e.getValue().stamp().equals(b.get(e.getKey()).stamp())) {
        return false;
      }
    }
    return true;
  }

  private static String id(Path source, List<String> include, List<String> exclude) {
    return Digest.sha256(
            source.toAbsolutePath().normalize()
                + "\0"
                + String.join("\0", include)
                + "\0\0"
                + String.join("\0", exclude))
        .hex();
  }

  private Index index(String id) {
    return indexes.computeIfAbsent(id, this::load);
  }

  /** The saved index, or an empty one when there is none or it is damaged (costs a re-read). */
  private Index load(String id) {
    Index index = new Index();
    Path file = dir.resolve(id + ".json");
    try {
      if (!Files.isRegularFile(file)) {
        return index;
      }
      Optional<byte[]> body = CheckedBytes.unwrap(Files.readAllBytes(file));
      if (body.isEmpty()) {
        return index;
      }
      JsonNode json = JSON.readTree(body.get());
      if (json.hasNonNull("layer")) {
        index.layer = Optional.of(json.get("layer").asText());
      }
      if (json.hasNonNull("layerChecksum")) {
        index.layerChecksum = Optional.of(json.get("layerChecksum").asText());
      }
      HexFormat hex = HexFormat.of();
      for (JsonNode f : json.path("layerFiles")) {
        index.layerFiles.put(f.get(0).asText(), stamp(f));
      }
      for (JsonNode f : json.path("files")) {
        index.files.put(f.get(0).asText(), new Known(stamp(f), hex.parseHex(f.get(6).asText())));
      }
    } catch (IOException | RuntimeException e) {
      return new Index();
    }
    return index;
  }

  /** A stamp saved as {@code [path, size, mtime, ctime, inode, mode, ...]}. */
  private static Stamp stamp(JsonNode f) {
    return new Stamp(
        f.get(1).asLong(),
        f.get(2).asLong(),
        f.get(3).asLong(),
        f.get(4).asLong(),
        f.get(5).asInt());
  }

  private static void addStamp(ArrayNode row, String relative, Stamp s) {
    row.add(relative).add(s.size()).add(s.mtimeNanos()).add(s.ctimeNanos()).add(s.inode());
    row.add(s.mode());
  }

  private void save(String id, Index index) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    index.layer.ifPresent(layer -> json.put("layer", layer));
    index.layerChecksum.ifPresent(checksum -> json.put("layerChecksum", checksum));
    ArrayNode files = json.putArray("files");
    HexFormat hex = HexFormat.of();
    index.files.forEach(
        (relative, known) -> {
          ArrayNode row = files.addArray();
          addStamp(row, relative, known.stamp());
          row.add(hex.formatHex(known.digest()));
        });
    ArrayNode layerFiles = json.putArray("layerFiles");
    index.layerFiles.forEach((relative, stamp) -> addStamp(layerFiles.addArray(), relative, stamp));
    AtomicFile.write(
        dir.resolve(id + ".json"), CheckedBytes.wrap(JSON.writeValueAsBytes(json)), true);
  }
}

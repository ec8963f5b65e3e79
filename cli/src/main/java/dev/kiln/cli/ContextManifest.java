package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.fileop.FileInfo;
import dev.kiln.engine.fileop.SelectedTree;
import dev.kiln.engine.fileop.Selection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a build context holds, by path, without its contents: each entry's kind, mode, size,
 * modification time and link target, as a client lists it (after {@code .dockerignore}) so that a
 * daemon can tell which files it lacks. One JSON object per line.
 */
public record ContextManifest(Map<String, Entry> entries) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The upload entry holding the manifest, when the upload carries only some files. */
  public static final String ENTRY = "context.manifest";

  /** The PAX header with a sent file's sha256 (hex), checked on arrival. */
  public static final String DIGEST_HEADER = "KILN.sha256";

  /** At most this many entries: a manifest comes from a client. */
  public static final int MAX_ENTRIES = 1_000_000;

  /** What a daemon compares. */
  public enum Kind {
    FILE,
    DIRECTORY,
    SYMLINK
  }

  /** One entry: its slash-separated path below the context, and its attributes. */
  public record Entry(
      String path, Kind kind, int mode, long size, long mtimeNanos, Optional<String> link) {
    /** Whether {@code other} (what the daemon has) stands for the same file. */
    public boolean sameAs(Entry other) {
      return kind == other.kind
          && (mode & 07777) == (other.mode & 07777)
          && (kind != Kind.FILE || (size == other.size && mtimeNanos == other.mtimeNanos))
          && link.equals(other.link);
    }
  }

  public ContextManifest {
    entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  /** The entries of {@code dir} that {@code ignore} (dockerignore patterns) leaves. */
  public static ContextManifest of(Path dir, List<String> ignore) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (SelectedTree.Entry entry : SelectedTree.walk(dir, Selection.of(List.of(), ignore))) {
      entry(entry.relative(), entry.path(), entry.info()).ifPresent(e -> entries.put(e.path(), e));
    }
    return new ContextManifest(entries);
  }

  /** {@code path}'s entry from what {@code info} says of it, if it is a kind a context holds. */
  public static Optional<Entry> entry(String relative, Path path, FileInfo info)
      throws IOException {
    long mtime = info.mtime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
    int mode = info.mode() & 07777;
    return switch (info.kind()) {
      case REGULAR ->
          Optional.of(new Entry(relative, Kind.FILE, mode, info.size(), mtime, Optional.empty()));
      case DIRECTORY ->
          Optional.of(new Entry(relative, Kind.DIRECTORY, mode, 0, 0, Optional.empty()));
      case SYMLINK ->
          Optional.of(
              new Entry(
                  relative,
                  Kind.SYMLINK,
                  0777,
                  0,
                  0,
                  Optional.of(Files.readSymbolicLink(path).toString())));
      default -> Optional.empty();
    };
  }

  /** The manifest as lines of JSON. */
  public String write() {
    StringBuilder out = new StringBuilder();
    for (Entry entry : entries.values()) {
      ObjectNode json = JSON.createObjectNode();
      json.put("path", entry.path());
      json.put("kind", entry.kind().name().toLowerCase(java.util.Locale.ROOT));
      json.put("mode", entry.mode());
      json.put("size", entry.size());
      json.put("mtime", entry.mtimeNanos());
      entry.link().ifPresent(link -> json.put("link", link));
      out.append(json).append('\n');
    }
    return out.toString();
  }

  /**
   * Reads {@link #write}'s lines; throws naming the line and what is wrong (a path that leaves the
   * context, a kind that is none of the three, a repeated path, an entry below a symlink or a file
   * of the manifest, too many entries).
   */
  public static ContextManifest read(InputStream in) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int number = 0;
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      if (entries.size() >= MAX_ENTRIES) {
        throw new IOException("the context manifest has more than " + MAX_ENTRIES + " entries");
      }
      Entry entry;
      try {
        entry = entry(JSON.readTree(line));
      } catch (IOException | IllegalArgumentException e) {
        throw new IOException("context manifest line " + number + ": " + e.getMessage());
      }
      if (entries.put(entry.path(), entry) != null) {
        throw new IOException(
            "context manifest line " + number + ": \"" + entry.path() + "\" comes twice");
      }
    }
    // A daemon writes each entry at its path: one below a symlink would be written through it.
    for (String path : entries.keySet()) {
      for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
        Entry parent = entries.get(path.substring(0, slash));
        if (parent != null && parent.kind() != Kind.DIRECTORY) {
          throw new IOException(
              "context manifest: \""
                  + shown(path)
                  + "\" lies below a "
                  + parent.kind().name().toLowerCase(java.util.Locale.ROOT));
        }
      }
    }
    return new ContextManifest(entries);
  }

  private static Entry entry(JsonNode json) {
    String path = json.path("path").asText("");
    if (!isPlainPath(path)) {
      throw new IllegalArgumentException(
          "\"" + shown(path) + "\" is not a path inside the context");
    }
    Kind kind;
    try {
      kind = Kind.valueOf(json.path("kind").asText("").toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("kind must be file, directory or symlink");
    }
    long size = json.path("size").asLong(-1);
    int mode = json.path("mode").asInt(-1);
    if (size < 0 || mode < 0 || mode > 07777 || !json.path("mtime").canConvertToLong()) {
      throw new IllegalArgumentException("size, mode or mtime is missing or out of range");
    }
    Optional<String> link =
        json.hasNonNull("link") ? Optional.of(json.get("link").asText()) : Optional.empty();
    if ((kind == Kind.SYMLINK) != link.isPresent()) {
      throw new IllegalArgumentException("a symlink, and only a symlink, has a link");
    }
    return new Entry(path, kind, mode, size, json.path("mtime").asLong(), link);
  }

  /** Relative, slash-separated, no empty, "." or ".." segment, no NUL. */
  public static boolean isPlainPath(String path) {
    if (path.isEmpty() || path.startsWith("/") || path.indexOf('\0') >= 0 || path.length() > 4096) {
      return false;
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    return true;
  }

  private static String shown(String text) {
    String cut = text.length() > 80 ? text.substring(0, 80) + "…" : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }

  /** The paths of files {@code have} lacks or holds otherwise: what a client must send. */
  public List<String> filesMissingFrom(ContextManifest have) {
    List<String> missing = new ArrayList<>();
    for (Entry entry : entries.values()) {
      Entry there = have.entries().get(entry.path());
      if (entry.kind() == Kind.FILE && (there == null || !entry.sameAs(there))) {
        missing.add(entry.path());
      }
    }
    return missing;
  }
}

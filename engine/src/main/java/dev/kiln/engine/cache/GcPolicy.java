package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * When the engine collects cache garbage by itself, after builds: records unused for longer than
 * {@code keepDuration} go, then the least recently used until the cache fits in {@code keepBytes}
 * and the disk has {@code minFreeBytes} free. Read from {@code $KILN_CONFIG/gc.json} (else {@code
 * ~/.config/kiln/gc.json}): {@code {"keepStorage": "10GB", "keepDuration": "168h", "minFreeSpace":
 * "2GB"}}, each optional.
 */
public record GcPolicy(
    Optional<Long> keepBytes, Optional<Duration> keepDuration, Optional<Long> minFreeBytes) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("keepStorage", "keepDuration", "minFreeSpace");

  /** {@code $KILN_CONFIG/gc.json}, else {@code ~/.config/kiln/gc.json}. */
  public static Path defaultFile(Map<String, String> env) {
    String dir = env.get("KILN_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return Path.of(dir, "gc.json");
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".config", "kiln", "gc.json");
  }

  /** The policy in {@code file}; empty (no automatic collection) when there is no such file. */
  public static Optional<GcPolicy> load(Path file) throws IOException {
    byte[] bytes;
    try {
      if (Files.size(file) > 64 * 1024) {
        throw new IOException(file + ": larger than 64 KiB; is it the right file?");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    JsonNode json;
    try {
      json = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(file + ": not JSON: " + e.getMessage(), e);
    }
    if (json == null || !json.isObject()) {
      throw new IOException(file + ": expected an object such as {\"keepStorage\": \"10GB\"}");
    }
    for (var it = json.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field)) {
        throw new IOException(
            file
                + ": unknown setting "
                + field
                + " (known: keepStorage, keepDuration, minFreeSpace)");
      }
    }
    try {
      return Optional.of(
          new GcPolicy(
              text(json, "keepStorage").map(Quantities::parseSize),
              text(json, "keepDuration").map(Quantities::parseDuration),
              text(json, "minFreeSpace").map(Quantities::parseSize)));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static Optional<String> text(JsonNode json, String field) {
    JsonNode value = json.get(field);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new IllegalArgumentException(field + " must be a string such as \"10GB\" or \"48h\"");
    }
    return Optional.of(value.asText());
  }
}

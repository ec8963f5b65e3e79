package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
  private static final Set<String> FIELDS = Set.of("keepStorage", "keepDuration", "minFreeSpace");

  /** {@code $KILN_CONFIG/gc.json}, else {@code ~/.config/kiln/gc.json}. */
  public static Path defaultFile(Map<String, String> env) {
    return SettingsFile.defaultFile(env, "gc.json");
  }

  /** The policy in {@code file}; empty (no automatic collection) when there is no such file. */
  public static Optional<GcPolicy> load(Path file) throws IOException {
    Optional<JsonNode> json = SettingsFile.read(file, FIELDS, "{\"keepStorage\": \"10GB\"}");
    if (json.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new GcPolicy(
              SettingsFile.text(json.get(), "keepStorage").map(Quantities::parseSize),
              SettingsFile.text(json.get(), "keepDuration").map(Quantities::parseDuration),
              SettingsFile.text(json.get(), "minFreeSpace").map(Quantities::parseSize)));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}

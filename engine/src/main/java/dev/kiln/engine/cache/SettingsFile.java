package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A small JSON settings file of the engine's ({@code $KILN_CONFIG/NAME}, else {@code
 * ~/.config/kiln/NAME}): an object of known string fields, each optional. Errors name the file and
 * what is wrong.
 */
public final class SettingsFile {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_BYTES = 64 * 1024;

  private SettingsFile() {}

  /** {@code $KILN_CONFIG/name}, else {@code ~/.config/kiln/name}. */
  public static Path defaultFile(Map<String, String> env, String name) {
    String dir = env.get("KILN_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return Path.of(dir, name);
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".config", "kiln", name);
  }

  /**
   * The object in {@code file}, empty when there is no such file; throws if it is no object of
   * {@code fields} (naming them and showing {@code example}).
   */
  public static Optional<JsonNode> read(Path file, Set<String> fields, String example)
      throws IOException {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_BYTES) {
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
      throw new IOException(file + ": expected an object such as " + example);
    }
    for (var it = json.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!fields.contains(field)) {
        throw new IOException(
            file
                + ": unknown setting "
                + field
                + " (known: "
                + String.join(", ", new java.util.TreeSet<>(fields))
                + ")");
      }
    }
    return Optional.of(json);
  }

  /** The string {@code field} of {@code json}, if set; throws if it is set to no string. */
  public static Optional<String> text(JsonNode json, String field) {
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

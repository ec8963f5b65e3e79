package dev.kiln.cli;

import dev.kiln.exporter.cache.CacheMode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A {@code --cache-to type=local,dest=DIR[,mode=min|max]} or {@code --cache-from
 * type=local,src=DIR} value, as buildx takes them (mode defaults to min, as in BuildKit).
 */
record CacheSpec(Path dir, CacheMode mode) {
  static CacheSpec to(String text) {
    return parse("--cache-to", text, "dest", Set.of("type", "dest", "mode"));
  }

  static CacheSpec from(String text) {
    return parse("--cache-from", text, "src", Set.of("type", "src"));
  }

  private static CacheSpec parse(String flag, String text, String dirKey, Set<String> known) {
    Map<String, String> fields = KeyValues.parse(flag, text);
    String type = fields.getOrDefault("type", "");
    if (!type.equals("local")) {
      throw new IllegalArgumentException(
          flag
              + " "
              + text
              + ": "
              + (type.isEmpty() ? "type is missing" : "type=" + type + " is not supported yet")
              + " (use type=local)");
    }
    for (String key : fields.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            flag + " " + text + ": unknown attribute " + key + " for type=local");
      }
    }
    String dir = fields.get(dirKey);
    if (dir == null || dir.isEmpty()) {
      throw new IllegalArgumentException(flag + " " + text + ": " + dirKey + "=DIR is missing");
    }
    String mode = fields.getOrDefault("mode", "min").toLowerCase(Locale.ROOT);
    if (!mode.equals("min") && !mode.equals("max")) {
      throw new IllegalArgumentException(flag + " " + text + ": mode must be min or max");
    }
    return new CacheSpec(
        Path.of(dir).toAbsolutePath(), mode.equals("max") ? CacheMode.MAX : CacheMode.MIN);
  }
}

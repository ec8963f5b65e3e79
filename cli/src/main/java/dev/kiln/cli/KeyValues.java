package dev.kiln.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code KEY=VALUE,KEY=VALUE} flag values ({@code --output}, {@code --cache-to}, ...). */
final class KeyValues {
  private KeyValues() {}

  /** The pairs of {@code text}, in order; {@code flag} names the flag in errors. */
  static Map<String, String> parse(String flag, String text) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            flag + " " + text + ": \"" + part + "\" is not KEY=VALUE");
      }
      String key = part.substring(0, eq).trim();
      if (fields.put(key, part.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException(flag + " " + text + ": " + key + " is given twice");
      }
    }
    return fields;
  }
}

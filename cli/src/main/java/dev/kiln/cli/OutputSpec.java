package dev.kiln.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A parsed {@code --output type=...,dest=...}, as docker buildx spells it. */
public sealed interface OutputSpec {
  /** The result's files in a directory. */
  record Local(Path dest) implements OutputSpec {}

  /** The result's files in one tar archive. */
  record Tar(Path dest) implements OutputSpec {}

  /** Parses {@code type=local,dest=DIR} or {@code type=tar,dest=FILE}; a bare path means local. */
  static OutputSpec parse(String text) {
    if (!text.contains("=")) {
      return new Local(Path.of(text));
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--output " + text + ": \"" + part + "\" is not KEY=VALUE");
      }
      String key = part.substring(0, eq).trim();
      if (fields.put(key, part.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException("--output " + text + ": " + key + " is given twice");
      }
    }
    String type = fields.remove("type");
    String dest = fields.remove("dest");
    if (type == null) {
      throw new IllegalArgumentException("--output " + text + ": type is missing (local or tar)");
    }
    if (!fields.isEmpty()) {
      throw new IllegalArgumentException(
          "--output " + text + ": unknown attribute " + fields.keySet().iterator().next());
    }
    if (!type.equals("local") && !type.equals("tar")) {
      throw new IllegalArgumentException(
          "--output " + text + ": unknown type \"" + type + "\" (known: local, tar)");
    }
    if (dest == null || dest.isEmpty()) {
      throw new IllegalArgumentException(
          "--output "
              + text
              + ": type="
              + type
              + " needs dest="
              + (type.equals("tar") ? "FILE" : "DIR"));
    }
    return type.equals("local") ? new Local(Path.of(dest)) : new Tar(Path.of(dest));
  }
}

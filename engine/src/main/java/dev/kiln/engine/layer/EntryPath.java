package dev.kiln.engine.layer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The relative path of a tar entry inside a layer, checked so it cannot name anything outside. */
record EntryPath(List<String> components) {
  EntryPath {
    components = List.copyOf(components);
  }

  /**
   * Parses a tar entry name; {@code ./} prefixes and trailing slashes are dropped, while absolute
   * names and {@code ..} components are rejected rather than cleaned, as only hostile tars use
   * them. {@code subject} names the path in errors, quoted: {@code layer entry "../x"}.
   */
  static EntryPath parse(String name, String subject) throws IOException {
    if (name.startsWith("/")) {
      throw new RefusedEntryException(
          subject + " is an absolute path: layer entries are relative to the layer root");
    }
    if (name.indexOf('\0') >= 0) {
      throw new RefusedEntryException(subject + " contains a NUL byte");
    }
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new RefusedEntryException(subject + " climbs out of the layer");
      }
      parts.add(part);
    }
    return new EntryPath(parts);
  }

  /** How errors name an entry: {@code layer entry "NAME"}. */
  static String describe(String name) {
    return "layer entry \"" + name + "\"";
  }

  boolean isRoot() {
    return components.isEmpty();
  }

  String baseName() {
    return components.get(components.size() - 1);
  }

  EntryPath parent() {
    return new EntryPath(components.subList(0, components.size() - 1));
  }

  EntryPath child(String name) {
    List<String> parts = new ArrayList<>(components);
    parts.add(name);
    return new EntryPath(parts);
  }

  @Override
  public String toString() {
    return String.join("/", components);
  }
}

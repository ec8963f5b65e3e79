package dev.kiln.cli;

import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.cache.CacheMode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code --cache-to} or {@code --cache-from} value, as buildx takes them: {@code
 * type=local,dest=DIR|src=DIR} (an OCI layout) or {@code type=registry,ref=REF} (a cache image in a
 * registry), with {@code mode=min|max} on export (min by default, as in BuildKit).
 */
record CacheSpec(
    Optional<Path> dir, Optional<ImageReference> ref, CacheMode mode, boolean cacheMounts) {
  static CacheSpec to(String text) {
    return parse("--cache-to", text, "dest", Set.of("mode", "cache-mounts"));
  }

  static CacheSpec from(String text) {
    return parse("--cache-from", text, "src", Set.of());
  }

  /** Whether the cache goes into the exported image's configuration ({@code type=inline}). */
  boolean inline() {
    return dir.isEmpty() && ref.isEmpty();
  }

  /** Where the cache is, for messages. */
  String where() {
    return dir.map(Path::toString)
        .or(() -> ref.map(ImageReference::toString))
        .orElse("the image configuration");
  }

  private static CacheSpec parse(String flag, String text, String dirKey, Set<String> extra) {
    Map<String, String> fields = KeyValues.parse(flag, text);
    String type = fields.getOrDefault("type", "");
    String locationKey;
    switch (type) {
      case "inline":
        if (!flag.equals("--cache-to")) {
          throw new IllegalArgumentException(
              flag + " " + text + ": type=inline is read with type=registry,ref=IMAGE");
        }
        if (fields.size() > 1) {
          throw new IllegalArgumentException(
              flag + " " + text + ": type=inline takes no attributes");
        }
        return new CacheSpec(Optional.empty(), Optional.empty(), CacheMode.MIN, false);
      case "local":
        locationKey = dirKey;
        break;
      case "registry":
        locationKey = "ref";
        break;
      case "":
        throw new IllegalArgumentException(
            flag + " " + text + ": type is missing (local or registry)");
      default:
        throw new IllegalArgumentException(
            flag
                + " "
                + text
                + ": type="
                + type
                + " is not supported (use local, registry or inline)");
    }
    for (String key : fields.keySet()) {
      if (!key.equals("type") && !key.equals(locationKey) && !extra.contains(key)) {
        throw new IllegalArgumentException(
            flag + " " + text + ": unknown attribute " + key + " for type=" + type);
      }
    }
    String location = fields.get(locationKey);
    if (location == null || location.isEmpty()) {
      throw new IllegalArgumentException(
          flag
              + " "
              + text
              + ": "
              + locationKey
              + "="
              + (type.equals("local") ? "DIR" : "REF")
              + " is missing");
    }
    String mode = fields.getOrDefault("mode", "min").toLowerCase(Locale.ROOT);
    if (!mode.equals("min") && !mode.equals("max")) {
      throw new IllegalArgumentException(flag + " " + text + ": mode must be min or max");
    }
    CacheMode cacheMode = mode.equals("max") ? CacheMode.MAX : CacheMode.MIN;
    String mounts = fields.getOrDefault("cache-mounts", "false");
    if (!mounts.equals("true") && !mounts.equals("false")) {
      throw new IllegalArgumentException(
          flag + " " + text + ": cache-mounts must be true or false");
    }
    boolean withMounts = mounts.equals("true");
    return type.equals("local")
        ? new CacheSpec(
            Optional.of(Path.of(location).toAbsolutePath()),
            Optional.empty(),
            cacheMode,
            withMounts)
        : new CacheSpec(
            Optional.empty(), Optional.of(ImageReference.parse(location)), cacheMode, withMounts);
  }
}

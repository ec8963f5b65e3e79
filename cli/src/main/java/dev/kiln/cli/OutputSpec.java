package dev.kiln.cli;

import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.LayerCompression;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** A parsed {@code --output type=...,dest=...}, as docker buildx spells it. */
public sealed interface OutputSpec {
  /** The result's files in a directory. */
  record Local(Path dest) implements OutputSpec {}

  /** The result's files in one tar archive. */
  record Tar(Path dest) implements OutputSpec {}

  /**
   * The image as an OCI layout: a tar archive at {@code dest} (standard output when empty: {@code
   * dest=-}), or a directory when {@code tar} is false.
   */
  record Oci(Optional<Path> dest, boolean tar, List<ImageReference> names, ImageOptions options)
      implements OutputSpec {}

  /** The image as a {@code docker load} archive at {@code dest} (standard output when empty). */
  record Docker(Optional<Path> dest, List<ImageReference> names, ImageOptions options)
      implements OutputSpec {}

  /**
   * The image in Kiln's local image store under {@code names}, and pushed to their registries when
   * {@code push} ({@code type=image,push=true} or {@code type=registry}).
   */
  record Image(List<ImageReference> names, boolean push, ImageOptions options)
      implements OutputSpec {}

  Set<String> IMAGE_KEYS = Set.of("name", "compression", "compression-level", "oci-mediatypes");

  /**
   * Parses {@code type=local,dest=DIR}, {@code type=tar,dest=FILE}, {@code
   * type=oci,dest=FILE|DIR|-[,tar=false][,name=REF][,compression=...][,compression-level=N]
   * [,oci-mediatypes=BOOL]} or {@code type=docker,dest=FILE|-[,...]}; a bare path means local.
   */
  static OutputSpec parse(String text) {
    if (!text.contains("=")) {
      return new Local(Path.of(text));
    }
    Map<String, String> fields = KeyValues.parse("--output", text);
    String type = fields.remove("type");
    if (type == null) {
      throw new IllegalArgumentException(
          "--output " + text + ": type is missing (local, tar, oci, docker, image or registry)");
    }
    Set<String> known;
    switch (type) {
      case "local":
      case "tar":
        known = Set.of("dest");
        break;
      case "oci":
        known = union(IMAGE_KEYS, Set.of("dest", "tar"));
        break;
      case "docker":
        known = union(IMAGE_KEYS, Set.of("dest"));
        break;
      case "image":
      case "registry":
        known = union(IMAGE_KEYS, Set.of("push"));
        break;
      default:
        throw new IllegalArgumentException(
            "--output "
                + text
                + ": unknown type \""
                + type
                + "\" (known: local, tar, oci, docker, image, registry)");
    }
    for (String key : fields.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "--output "
                + text
                + ": unknown attribute "
                + key
                + " for type="
                + type
                + " (known: "
                + String.join(", ", known.stream().sorted().toList())
                + ")");
      }
    }
    try {
      return typed(type, fields);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--output " + text + ": " + e.getMessage(), e);
    }
  }

  private static OutputSpec typed(String type, Map<String, String> fields) {
    if (type.equals("image") || type.equals("registry")) {
      // Like buildx: type=registry is type=image,push=true.
      boolean push = bool(fields, "push", type.equals("registry"));
      return new Image(names(fields), push, imageOptions(type, fields));
    }
    String dest = fields.get("dest");
    boolean tar = bool(fields, "tar", true);
    if (dest == null || dest.isEmpty()) {
      throw new IllegalArgumentException(
          "type="
              + type
              + " needs dest="
              + (type.equals("local") || !tar ? "DIR" : "FILE")
              + (type.equals("oci") || type.equals("docker") ? " (or dest=- for stdout)" : ""));
    }
    if (type.equals("local")) {
      return new Local(Path.of(dest));
    }
    if (type.equals("tar")) {
      return new Tar(Path.of(dest));
    }
    Optional<Path> file = dest.equals("-") ? Optional.empty() : Optional.of(Path.of(dest));
    if (file.isEmpty() && !tar) {
      throw new IllegalArgumentException("tar=false writes a directory: dest=- cannot be one");
    }
    List<ImageReference> names = names(fields);
    ImageOptions options = imageOptions(type, fields);
    return type.equals("oci")
        ? new Oci(file, tar, names, options)
        : new Docker(file, names, options);
  }

  private static List<ImageReference> names(Map<String, String> fields) {
    return fields.containsKey("name")
        ? List.of(ImageReference.parse(fields.get("name")))
        : List.of();
  }

  private static ImageOptions imageOptions(String type, Map<String, String> fields) {
    LayerCompression compression =
        LayerCompression.parse(fields.getOrDefault("compression", "gzip"));
    OptionalInt level = OptionalInt.empty();
    if (fields.containsKey("compression-level")) {
      String value = fields.get("compression-level");
      try {
        level = OptionalInt.of(Integer.parseInt(value));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("compression-level=" + value + ": not a number");
      }
    }
    // OCI media types for type=oci and for images (registries all take them), Docker's for
    // type=docker as buildx, OCI's for zstd layers (Docker's have no name for them).
    boolean oci =
        bool(
            fields,
            "oci-mediatypes",
            !type.equals("docker") || compression == LayerCompression.ZSTD);
    return new ImageOptions(compression, level, oci, Optional.empty());
  }

  private static boolean bool(Map<String, String> fields, String key, boolean otherwise) {
    String value = fields.get(key);
    if (value == null) {
      return otherwise;
    }
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new IllegalArgumentException(key + "=" + value + ": use true or false");
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}

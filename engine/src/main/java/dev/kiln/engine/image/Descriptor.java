package dev.kiln.engine.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An OCI content descriptor: what a blob is, its digest and size, and optional metadata. */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Map<String, String> annotations,
    Optional<String> platform) {
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  public Descriptor {
    annotations = Map.copyOf(annotations);
  }

  /** Reads a descriptor object; {@code where} names the document in errors. */
  public static Descriptor from(JsonNode node, String where) throws IOException {
    JsonNode digest = node.path("digest");
    JsonNode size = node.path("size");
    if (!digest.isTextual() || !size.canConvertToLong()) {
      throw new IOException(where + ": a descriptor lacks \"digest\" or \"size\"");
    }
    Digest parsed;
    try {
      parsed = Digest.parse(digest.asText());
    } catch (IllegalArgumentException e) {
      throw new IOException(where + ": " + e.getMessage(), e);
    }
    Map<String, String> annotations = new TreeMap<>();
    node.path("annotations")
        .properties()
        .forEach(f -> annotations.put(f.getKey(), f.getValue().asText()));
    JsonNode platform = node.path("platform");
    Optional<String> os =
        platform.isObject()
            ? Optional.of(
                platform.path("os").asText()
                    + "/"
                    + platform.path("architecture").asText()
                    + (platform.hasNonNull("variant")
                        ? "/" + platform.get("variant").asText()
                        : ""))
            : Optional.empty();
    return new Descriptor(
        node.path("mediaType").asText(""), parsed, size.asLong(), annotations, os);
  }

  /** The descriptor as OCI JSON (its platform, a summary, is left out). */
  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("mediaType", mediaType);
    node.put("digest", digest.toString());
    node.put("size", size);
    if (!annotations.isEmpty()) {
      ObjectNode notes = node.putObject("annotations");
      new TreeMap<>(annotations).forEach(notes::put);
    }
    return node;
  }

  public Optional<String> refName() {
    return Optional.ofNullable(annotations.get(REF_NAME));
  }

  /** True for an image index or a Docker manifest list, whose entries are per-platform. */
  public boolean isIndex() {
    return mediaType.equals(MediaTypes.OCI_INDEX) || mediaType.equals(MediaTypes.DOCKER_LIST);
  }
}

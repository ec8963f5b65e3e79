package dev.kiln.exporter.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.Digest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The image config blob: the frontend's OCI image configuration, checked, with {@code rootfs},
 * {@code history} and {@code created} set from the layers actually exported. Without a
 * configuration (a build graph rather than a Dockerfile) it is BuildKit's empty one: this host's
 * platform, working directory {@code /} and the default {@code PATH}.
 */
final class ImageConfigDocument {
  static final String DEFAULT_PATH =
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SET_HERE = Set.of("created", "rootfs", "history");

  private final ObjectNode document;

  private ImageConfigDocument(ObjectNode document) {
    this.document = document;
  }

  /** Parses and checks {@code json}; throws IllegalArgumentException saying what is wrong. */
  static ImageConfigDocument parse(Optional<String> json) {
    if (json.isEmpty()) {
      ObjectNode doc = JSON.createObjectNode();
      doc.put("architecture", hostArchitecture());
      doc.put("os", "linux");
      ObjectNode config = doc.putObject("config");
      config.putArray("Env").add(DEFAULT_PATH);
      config.put("WorkingDir", "/");
      return new ImageConfigDocument(doc);
    }
    JsonNode root;
    try {
      root = JSON.readTree(json.get());
    } catch (JsonProcessingException e) {
      throw invalid("not JSON (" + e.getOriginalMessage() + ")");
    }
    if (root == null || !root.isObject()) {
      throw invalid("not a JSON object");
    }
    if (!root.path("config").isObject()) {
      throw invalid("it has no \"config\" object (the container's run configuration)");
    }
    for (String field : List.of("architecture", "os")) {
      if (root.has(field) && !root.get(field).isTextual()) {
        throw invalid("\"" + field + "\" is not a string");
      }
    }
    JsonNode history = root.path("history");
    if (!history.isMissingNode() && !history.isNull()) {
      if (!history.isArray()) {
        throw invalid("\"history\" is not an array");
      }
      for (JsonNode entry : history) {
        if (!entry.isObject()) {
          throw invalid("a \"history\" entry is not an object");
        }
      }
    }
    return new ImageConfigDocument((ObjectNode) root);
  }

  private static IllegalArgumentException invalid(String problem) {
    return new IllegalArgumentException("invalid image configuration: " + problem);
  }

  List<ObjectNode> history() {
    List<ObjectNode> entries = new ArrayList<>();
    document.path("history").forEach(h -> entries.add((ObjectNode) h));
    return entries;
  }

  /**
   * The config blob's bytes: compact JSON, fields in a fixed order, so equal inputs give equal
   * bytes.
   */
  byte[] bytes(List<Digest> diffIds, ArrayNode history, Instant created) {
    ObjectNode out = JSON.createObjectNode();
    out.put("created", goTime(created));
    out.put("architecture", document.path("architecture").asText(hostArchitecture()));
    out.put("os", document.path("os").asText("linux"));
    document
        .fields()
        .forEachRemaining(
            f -> {
              if (!out.has(f.getKey()) && !SET_HERE.contains(f.getKey())) {
                out.set(f.getKey(), f.getValue());
              }
            });
    ObjectNode rootfs = out.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    diffIds.forEach(d -> ids.add(d.toString()));
    out.set("history", history);
    try {
      return JSON.writeValueAsBytes(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The OCI (Go) name of this JVM's architecture. */
  static String hostArchitecture() {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "x86_64":
      case "amd64":
        return "amd64";
      case "aarch64":
        return "arm64";
      case "x86":
      case "i386":
      case "i686":
        return "386";
      default:
        return arch;
    }
  }

  /**
   * {@code when} as Go's RFC 3339 with nanoseconds writes it (trailing zeros of the fraction
   * dropped), as BuildKit and every registry tool do: a config re-encoded by them stays identical.
   */
  static String goTime(Instant when) {
    return when.toString().replaceFirst("(\\.\\d*?)0+Z$", "$1Z").replaceFirst("\\.Z$", "Z");
  }
}

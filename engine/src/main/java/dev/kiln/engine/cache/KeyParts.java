package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a record's cache key was made of, kept so that a later miss can be explained: the op's cache
 * digest, the inputs' keys ({@code digest#output}), and the op itself as canonical JSON.
 */
public record KeyParts(String opDigest, List<String> inputs, String op) {
  /** Parts of a record written before they were kept. */
  public static final KeyParts NONE = new KeyParts("", List.of(), "");

  public KeyParts {
    inputs = List.copyOf(inputs);
  }

  /** Writes these parts as the {@code parts} object of {@code json}. */
  void writeTo(ObjectNode json) {
    ObjectNode parts = json.putObject("parts");
    parts.put("opDigest", opDigest);
    parts.putPOJO("inputs", inputs);
    parts.put("op", op);
  }

  /** The parts written by {@link #writeTo}; {@link #NONE} when there are none. */
  static KeyParts readFrom(JsonNode json) {
    JsonNode parts = json.path("parts");
    if (!parts.isObject()) {
      return NONE;
    }
    List<String> inputs = new ArrayList<>();
    parts.path("inputs").forEach(input -> inputs.add(input.asText()));
    return new KeyParts(parts.path("opDigest").asText(""), inputs, parts.path("op").asText(""));
  }
}

package dev.kiln.engine.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;

/**
 * A manifest or index fetched from a registry, its bytes checked against its descriptor's digest.
 */
public record Manifest(Descriptor descriptor, byte[] bytes) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The parsed document (already known to be a JSON object). */
  public JsonNode json() {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalStateException("a fetched manifest was checked to be JSON", e);
    }
  }

  /** True for an OCI image index or a Docker manifest list. */
  public boolean isIndex() {
    return descriptor.isIndex();
  }
}

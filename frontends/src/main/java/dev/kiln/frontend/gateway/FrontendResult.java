package dev.kiln.frontend.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.graph.Definition;
import java.util.Map;
import java.util.Optional;

/**
 * What a frontend returned: the definition of its result, the image config to give it (an OCI
 * config document), and metadata.
 */
public record FrontendResult(
    Definition definition, Optional<JsonNode> config, Map<String, String> metadata) {
  public FrontendResult {
    metadata = Map.copyOf(metadata);
  }
}

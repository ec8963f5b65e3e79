package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.AtomicFile;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.frontend.dockerfile.ImageConfig;
import dev.kiln.frontend.dockerfile.ImageConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code --metadata-file}, as {@code docker buildx build} has it: what the build produced, as JSON,
 * written to a temporary file and renamed into place.
 */
final class BuildMetadata {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BuildMetadata() {}

  /** What the build produced, as JSON. */
  static ObjectNode of(CacheKey key, Optional<ImageConfig> config, Optional<Descriptor> manifest) {
    ObjectNode metadata = JSON.createObjectNode();
    metadata.put("kiln.result.cache-key", key.digest().value());
    manifest.ifPresent(
        m -> {
          metadata.put("containerimage.digest", m.digest().toString());
          metadata.set("containerimage.descriptor", m.toJson());
        });
    config.ifPresent(c -> metadata.set("containerimage.config", ImageConfigJson.write(c)));
    return metadata;
  }

  /** Writes {@code metadata} to {@code file}, whole or not at all. */
  static void write(Path file, com.fasterxml.jackson.databind.JsonNode metadata)
      throws IOException {
    AtomicFile.write(
        file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(metadata), false);
  }
}

package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.cache.CacheManifest;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * {@code --cache-to type=inline}: the cache records (mode min: the result's own) go into the image
 * configuration under {@value CacheManifest#INLINE_KEY}; their layers are the image's layers.
 */
final class InlineCache {
  private static final ObjectMapper JSON = new ObjectMapper();

  private InlineCache() {}

  /** {@code config} (empty: a bare one) with the cache config blob {@code cache} inside. */
  static String embed(Optional<String> config, ContentStore content, Descriptor cache)
      throws IOException {
    ObjectNode root =
        config.isPresent() ? (ObjectNode) JSON.readTree(config.get()) : JSON.createObjectNode();
    try (InputStream in = content.open(cache.digest())) {
      root.set(CacheManifest.INLINE_KEY, JSON.readTree(in));
    }
    return JSON.writeValueAsString(root);
  }
}

package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Snapshot;
import java.io.IOException;

/**
 * Images named by source identifiers of one scheme ({@code oci-layout://}, {@code
 * docker-image://}).
 */
public interface ImageSource {
  /** The manifest (or index) digest {@code identifier} resolves to now: its cache identity. */
  Digest resolveManifest(String identifier) throws IOException;

  /** The image's filesystem: one layer per image layer, base layer lowest. */
  Snapshot load(String identifier) throws IOException;

  /** The image configuration document, for frontends that start a stage from the image. */
  JsonNode imageConfig(String identifier) throws IOException;
}

package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Snapshot;
import java.io.IOException;

/**
 * Images named by source identifiers of one scheme ({@code oci-layout://}, {@code
 * docker-image://}): each scheme says where an identifier's blobs are; the loader does the rest.
 */
public interface ImageSource {
  /** Where the blobs of the image {@code identifier} names come from. */
  ImageBlobs blobs(String identifier) throws IOException;

  /** The loader that turns blobs into snapshots and configurations. */
  ImageLoader loader();

  /** The manifest (or index) digest {@code identifier} resolves to now: its cache identity. */
  default Digest resolveManifest(String identifier) throws IOException {
    return blobs(identifier).top().digest();
  }

  /** The image's filesystem: one layer per image layer, base layer lowest. */
  default Snapshot load(String identifier) throws IOException {
    return loader().load(blobs(identifier));
  }

  /** The image configuration document, for frontends that start a stage from the image. */
  default JsonNode imageConfig(String identifier) throws IOException {
    return loader().config(blobs(identifier));
  }
}

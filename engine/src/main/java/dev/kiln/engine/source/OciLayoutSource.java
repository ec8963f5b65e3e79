package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Snapshot;
import java.io.IOException;

/** Loads images from {@code oci-layout://DIR[:tag|@digest]} through the engine's image loader. */
public final class OciLayoutSource implements ImageSource {
  private final ImageLoader loader;

  public OciLayoutSource(ImageLoader loader) {
    this.loader = loader;
  }

  /** The digest {@code identifier} points at, from {@code index.json} alone; a cache digest. */
  @Override
  public Digest resolveManifest(String identifier) throws IOException {
    return blobs(identifier).top().digest();
  }

  @Override
  public Snapshot load(String identifier) throws IOException {
    return loader.load(blobs(identifier));
  }

  /**
   * The image configuration (the OCI config document: {@code config.Env}, {@code Cmd}, ...) that
   * {@code identifier} names; frontends read it to start a stage from the image.
   */
  @Override
  public JsonNode imageConfig(String identifier) throws IOException {
    return loader.config(blobs(identifier));
  }

  private static ImageBlobs blobs(String identifier) throws IOException {
    OciReference ref = OciReference.parse(identifier);
    return OciLayout.open(ref.dir()).blobs(ref);
  }
}

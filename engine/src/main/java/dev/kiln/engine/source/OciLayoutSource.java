package dev.kiln.engine.source;

import java.io.IOException;

/** Loads images from {@code oci-layout://DIR[:tag|@digest]} through the engine's image loader. */
public final class OciLayoutSource implements ImageSource {
  private final ImageLoader loader;

  public OciLayoutSource(ImageLoader loader) {
    this.loader = loader;
  }

  @Override
  public ImageLoader loader() {
    return loader;
  }

  /** The layout's blobs; the top descriptor comes from {@code index.json} alone. */
  @Override
  public ImageBlobs blobs(String identifier) throws IOException {
    OciReference ref = OciReference.parse(identifier);
    return OciLayout.open(ref.dir()).blobs(ref);
  }
}

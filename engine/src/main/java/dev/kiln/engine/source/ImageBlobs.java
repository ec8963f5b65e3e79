package dev.kiln.engine.source;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;

/** Where one image's blobs come from: an OCI layout, a registry, or the local image store. */
public interface ImageBlobs {
  /** The descriptor the image's reference names: a manifest or an index. */
  Descriptor top() throws IOException;

  /** Makes {@code blob} present in {@code store}, checked against its digest and size. */
  void fetch(Descriptor blob, ContentStore store) throws IOException;

  /** An error about this image, naming it. */
  IOException error(String problem, Throwable cause);

  /** An error about this image, naming it. */
  default IOException error(String problem) {
    return error(problem, null);
  }
}

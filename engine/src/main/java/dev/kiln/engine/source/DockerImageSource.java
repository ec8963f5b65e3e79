package dev.kiln.engine.source;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import java.io.IOException;
import java.util.Optional;

/**
 * Loads images from {@code docker-image://REF}: Kiln's local image store first (what {@code kiln
 * build -t REF} stored), then the registry REF names.
 */
public final class DockerImageSource implements ImageSource {
  private static final String SCHEME = "docker-image://";

  private final ImageLoader loader;
  private final ImageStore store;
  private final RegistryImages registries;

  public DockerImageSource(ImageLoader loader, ImageStore store, RegistryImages registries) {
    this.loader = loader;
    this.store = store;
    this.registries = registries;
  }

  @Override
  public ImageLoader loader() {
    return loader;
  }

  @Override
  public ImageBlobs blobs(String identifier) throws IOException {
    if (!identifier.startsWith(SCHEME)) {
      throw new IOException("not a docker-image:// reference: " + identifier);
    }
    String name = registries.normalize(identifier.substring(SCHEME.length()));
    Optional<Descriptor> local = store.find(name);
    if (local.isPresent()) {
      return stored(name, local.get());
    }
    return registries.open(name);
  }

  /** An image whose blobs are all in the content store already. */
  private static ImageBlobs stored(String name, Descriptor manifest) {
    return new ImageBlobs() {
      @Override
      public Descriptor top() {
        return manifest;
      }

      @Override
      public void fetch(Descriptor blob, ContentStore content) throws IOException {
        if (!content.has(blob.digest())) {
          throw error("blob " + blob.digest() + " is missing from the content store");
        }
      }

      @Override
      public IOException error(String problem, Throwable cause) {
        return new IOException("image " + name + " (local image store): " + problem, cause);
      }
    };
  }
}

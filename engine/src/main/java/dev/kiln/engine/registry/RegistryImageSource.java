package dev.kiln.engine.registry;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.source.ImageBlobs;
import dev.kiln.engine.source.RegistryImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Images of {@code docker-image://} sources, pulled with a {@link RegistryClient}: manifests
 * through the manifests endpoint, everything else as blobs, all into the engine's content store.
 */
public final class RegistryImageSource implements RegistryImages {
  private static final Set<String> MANIFESTS =
      Set.of(
          MediaTypes.OCI_INDEX,
          MediaTypes.OCI_MANIFEST,
          MediaTypes.DOCKER_LIST,
          MediaTypes.DOCKER_MANIFEST);

  /** Makes the client when first needed, so that a bad config fails pulls, not start-up. */
  @FunctionalInterface
  public interface ClientFactory {
    RegistryClient create() throws IOException;
  }

  private final ClientFactory factory;
  private RegistryClient client;

  public RegistryImageSource(ClientFactory factory) {
    this.factory = factory;
  }

  @Override
  public String normalize(String reference) throws IOException {
    try {
      return ImageReference.parse(reference).toString();
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public ImageBlobs open(String normalized) throws IOException {
    ImageReference reference;
    try {
      reference = ImageReference.parse(normalized);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    return new Pulled(client(), reference);
  }

  /** The registry client, made on first use and shared (it caches tokens and downloads). */
  public synchronized RegistryClient client() throws IOException {
    if (client == null) {
      client = factory.create();
    }
    return client;
  }

  /** One image's blobs, from its registry. */
  private static final class Pulled implements ImageBlobs {
    private final RegistryClient client;
    private final ImageReference reference;
    private Descriptor top;

    Pulled(RegistryClient client, ImageReference reference) {
      this.client = client;
      this.reference = reference;
    }

    @Override
    public synchronized Descriptor top() throws IOException {
      if (top == null) {
        top = client.resolve(reference);
      }
      return top;
    }

    @Override
    public void fetch(Descriptor blob, ContentStore store) throws IOException {
      if (store.has(blob.digest())) {
        return;
      }
      if (MANIFESTS.contains(blob.mediaType())) {
        Manifest manifest = client.fetchManifest(reference, blob);
        store.ingest(
            new ByteArrayInputStream(manifest.bytes()),
            Optional.of(blob.digest()),
            manifest.bytes().length);
      } else {
        client.fetchBlob(reference, blob, store);
      }
    }

    @Override
    public IOException error(String problem, Throwable cause) {
      return new IOException("image " + reference + ": " + problem, cause);
    }
  }
}

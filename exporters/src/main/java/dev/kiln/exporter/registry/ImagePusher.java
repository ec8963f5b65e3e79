package dev.kiln.exporter.registry;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.registry.BlobSource;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.engine.registry.RegistryClient;
import dev.kiln.exporter.image.BuiltImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Pushes an image from the content store to a registry: every blob first (the registry skips those
 * it has), the manifest last, so that a tag never names an image with missing blobs.
 */
public final class ImagePusher {
  private final RegistryClient client;
  private final ContentStore content;

  public ImagePusher(RegistryClient client, ContentStore content) {
    this.client = client;
    this.content = content;
  }

  /** Pushes {@code image} as {@code target} (by its tag, or by digest when it has none). */
  public Descriptor push(BuiltImage image, ImageReference target) throws IOException {
    ImageReference repository = target.inRepository(target.repository());
    for (Descriptor blob : image.blobs()) {
      if (blob.equals(image.manifest())) {
        continue;
      }
      client.pushBlob(repository, blob, BlobSource.of(content, blob.digest()), Optional.empty());
    }
    byte[] manifest;
    try (InputStream in = content.open(image.manifest().digest())) {
      manifest = in.readAllBytes();
    }
    ImageReference byTag =
        target.tag().isPresent() ? target : target.withDigest(image.manifest().digest());
    return client.pushManifest(byTag, image.manifest().mediaType(), manifest);
  }
}

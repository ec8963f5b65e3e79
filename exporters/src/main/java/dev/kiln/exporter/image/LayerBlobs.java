package dev.kiln.exporter.image;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.util.Optional;

/**
 * A snapshot layer as an image layer blob in the content store, for exporters other than the
 * image's (the cache exporter): the blob it came from, or its diff compressed as {@code options}
 * say; empty when the layer changes nothing.
 */
public final class LayerBlobs {
  private LayerBlobs() {}

  public static Optional<ImageLayer> export(
      Snapshotter snapshotter, ContentStore content, ImageOptions options, Layer layer)
      throws IOException {
    return new LayerExport(snapshotter, content, options).export(layer);
  }
}

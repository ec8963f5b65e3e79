package dev.kiln.exporter.image;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.layer.LayerDiffWriter;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.LayerBlob;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one snapshot layer into an image layer in the content store: the blob it was unpacked from
 * when there is one (its bytes as they are, never recompressed), else its tar diff compressed as
 * asked, streamed and hashed on the way. A layer whose diff is empty gives no image layer.
 */
final class LayerExport {
  /** The diff ID of a tar with no entries (two zero records), as base images carry it too. */
  static final Digest EMPTY_DIFF_ID =
      Digest.parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");

  private static final int EMPTY_TAR_SIZE = 1024;

  private final Snapshotter snapshotter;
  private final ContentStore content;
  private final ImageOptions options;

  LayerExport(Snapshotter snapshotter, ContentStore content, ImageOptions options) {
    this.snapshotter = snapshotter;
    this.content = content;
    this.options = options;
  }

  Optional<ImageLayer> export(Layer layer) throws IOException {
    Optional<LayerBlob> blob = snapshotter.blob(layer);
    // A blob gone from the store (pruned) costs only the reuse: the diff is written afresh.
    if (blob.isPresent() && content.has(blob.get().digest())) {
      return reuse(blob.get());
    }
    return write(layer);
  }

  private Optional<ImageLayer> reuse(LayerBlob blob) {
    if (blob.diffId().equals(EMPTY_DIFF_ID)) {
      return Optional.empty();
    }
    String mediaType = LayerMediaTypes.convert(blob.mediaType(), options.ociMediaTypes());
    return Optional.of(
        new ImageLayer(
            new Descriptor(mediaType, blob.digest(), blob.size(), Map.of(), Optional.empty()),
            blob.diffId()));
  }

  private Optional<ImageLayer> write(Layer layer) throws IOException {
    LayerDiffWriter.Times times = LayerDiffWriter.Times.wholeSeconds(options.sourceDateEpoch());
    BlobPipe.Stored<DigestingOutputStream> stored =
        BlobPipe.ingest(
            content,
            out -> {
              OutputStream compressed =
                  Compressors.open(out, options.compression(), options.effectiveLevel());
              DigestingOutputStream diff = new DigestingOutputStream(compressed);
              try (compressed) {
                LayerDiffWriter.write(layer.dir(), diff, times);
              }
              return diff;
            });
    DigestingOutputStream diff = stored.produced();
    if (diff.count() == EMPTY_TAR_SIZE) {
      // Only the end-of-archive records: the step changed nothing, and BuildKit drops such
      // layers. The tiny blob already stored is left for garbage collection.
      return Optional.empty();
    }
    String mediaType = LayerMediaTypes.of(options.compression(), options.ociMediaTypes());
    return Optional.of(
        new ImageLayer(
            new Descriptor(mediaType, stored.digest(), stored.size(), Map.of(), Optional.empty()),
            diff.digest()));
  }
}

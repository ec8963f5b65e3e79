package dev.kiln.exporter.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes an image of a build result in the content store: one layer per snapshot layer (reused blobs
 * as they are, new ones compressed as asked, empty ones dropped), the config with its history
 * reconciled, and the manifest. Blocking: run it on an I/O pool. What the OCI, Docker and (later)
 * registry exporters share.
 */
public final class ImageBuilder {
  private final ContentStore content;
  private final Snapshotter snapshotter;
  private final Clock clock;

  public ImageBuilder(ContentStore content, Snapshotter snapshotter) {
    this(content, snapshotter, Clock.systemUTC());
  }

  ImageBuilder(ContentStore content, Snapshotter snapshotter, Clock clock) {
    this.content = content;
    this.snapshotter = snapshotter;
    this.clock = clock;
  }

  /**
   * Builds the image of {@code result} with the OCI image configuration {@code configJson} (the
   * frontend's; BuildKit's empty configuration when absent). Throws IllegalArgumentException for a
   * malformed configuration, before any layer is written.
   */
  public BuiltImage build(Snapshot result, Optional<String> configJson, ImageOptions options)
      throws IOException {
    ImageConfigDocument document = ImageConfigDocument.parse(configJson);
    LayerExport export = new LayerExport(snapshotter, content, options);
    List<ImageLayer> layers = new ArrayList<>();
    List<Boolean> kept = new ArrayList<>();
    for (Layer layer : result.layers()) {
      Optional<ImageLayer> exported = export.export(layer);
      exported.ifPresent(layers::add);
      kept.add(exported.isPresent());
    }
    Instant created = options.sourceDateEpoch().orElseGet(clock::instant);
    ArrayNode history =
        ImageHistory.reconcile(document.history(), kept, created, options.sourceDateEpoch());
    List<Digest> diffIds = layers.stream().map(ImageLayer::diffId).toList();
    boolean oci = options.ociMediaTypes();
    Descriptor config =
        store(ImageManifest.configMediaType(oci), document.bytes(diffIds, history, created));
    Descriptor manifest =
        store(ImageManifest.mediaType(oci), ImageManifest.bytes(config, layers, oci));
    return new BuiltImage(manifest, config, layers);
  }

  private Descriptor store(String mediaType, byte[] bytes) throws IOException {
    Digest digest =
        content.ingest(
            new ByteArrayInputStream(bytes), Optional.of(Digest.sha256(bytes)), bytes.length);
    return new Descriptor(mediaType, digest, bytes.length, Map.of(), Optional.empty());
  }
}

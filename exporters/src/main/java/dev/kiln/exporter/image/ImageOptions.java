package dev.kiln.exporter.image;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How an image is made from a build result: the compression of new layers and its level, OCI or
 * Docker media types, and the {@code SOURCE_DATE_EPOCH} that makes the image reproducible.
 */
public record ImageOptions(
    LayerCompression compression,
    OptionalInt level,
    boolean ociMediaTypes,
    Optional<Instant> sourceDateEpoch) {
  /** gzip at its default level, OCI media types, no epoch: what BuildKit does by default. */
  public static final ImageOptions DEFAULTS =
      new ImageOptions(LayerCompression.GZIP, OptionalInt.empty(), true, Optional.empty());

  public ImageOptions {
    level.ifPresent(compression::checkLevel);
    if (compression == LayerCompression.ZSTD && !ociMediaTypes) {
      // Docker's media types have no zstd layer; BuildKit switches to OCI types, we say so.
      throw new IllegalArgumentException(
          "compression=zstd needs OCI media types: drop oci-mediatypes=false or use gzip");
    }
  }

  /** The level new layers are compressed with. */
  public int effectiveLevel() {
    return level.orElse(compression.defaultLevel());
  }

  public ImageOptions withSourceDateEpoch(Optional<Instant> epoch) {
    return new ImageOptions(compression, level, ociMediaTypes, epoch);
  }
}

package dev.kiln.exporter.image;

import dev.kiln.engine.image.MediaTypes;
import java.util.Map;

/**
 * Layer media types in OCI and Docker spelling: a reused blob keeps its bytes but takes the name
 * the manifest's family uses, as BuildKit converts them.
 */
final class LayerMediaTypes {
  static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
  static final String OCI_NONDISTRIBUTABLE_GZIP =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

  private static final Map<String, String> TO_DOCKER =
      Map.of(
          MediaTypes.OCI_LAYER,
          DOCKER_LAYER,
          MediaTypes.OCI_LAYER_GZIP,
          MediaTypes.DOCKER_LAYER_GZIP,
          OCI_NONDISTRIBUTABLE_GZIP,
          MediaTypes.DOCKER_FOREIGN_LAYER_GZIP);
  private static final Map<String, String> TO_OCI =
      Map.of(
          DOCKER_LAYER,
          MediaTypes.OCI_LAYER,
          MediaTypes.DOCKER_LAYER_GZIP,
          MediaTypes.OCI_LAYER_GZIP,
          MediaTypes.DOCKER_FOREIGN_LAYER_GZIP,
          OCI_NONDISTRIBUTABLE_GZIP);

  private LayerMediaTypes() {}

  /** The media type of a new layer written with {@code compression}. */
  static String of(LayerCompression compression, boolean oci) {
    switch (compression) {
      case GZIP:
        return oci ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.DOCKER_LAYER_GZIP;
      case ZSTD:
        return MediaTypes.OCI_LAYER_ZSTD;
      case UNCOMPRESSED:
        return oci ? MediaTypes.OCI_LAYER : DOCKER_LAYER;
      default:
        throw new IllegalStateException("unknown compression " + compression);
    }
  }

  /** {@code mediaType} in the family the manifest uses; throws when that family has no name. */
  static String convert(String mediaType, boolean oci) {
    if (oci) {
      return TO_OCI.getOrDefault(mediaType, mediaType);
    }
    if (TO_OCI.containsKey(mediaType)) {
      return mediaType;
    }
    String docker = TO_DOCKER.get(mediaType);
    if (docker == null) {
      throw new IllegalArgumentException(
          "a base layer is "
              + mediaType
              + ", which Docker media types cannot name; export with oci-mediatypes=true");
    }
    return docker;
  }
}

package dev.kiln.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An OCI image layout whose {@code latest} image is one uncompressed layer given as bytes, with
 * digests that match: the layer reaches the unpacker as a pulled image's would.
 */
final class OneLayerLayout {
  private OneLayerLayout() {}

  /** Writes the layout to {@code dir}; returns its source identifier ({@code oci-layout://}). */
  static String write(Path dir, byte[] layer) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    String layerDigest = blob(dir, layer);
    String config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
            + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
            + layerDigest
            + "\"]}}";
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + descriptor("config", "application/vnd.oci.image.config.v1+json", dir, config)
            + ",\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
            + "\"digest\":\"sha256:"
            + layerDigest
            + "\",\"size\":"
            + layer.length
            + "}]}";
    String index =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
            + "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"digest\":\"sha256:"
            + blob(dir, manifest.getBytes(StandardCharsets.UTF_8))
            + "\",\"size\":"
            + manifest.length()
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"},"
            + "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(dir.resolve("index.json"), index);
    return "oci-layout://" + dir + ":latest";
  }

  private static String descriptor(String key, String mediaType, Path dir, String json)
      throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return "\""
        + key
        + "\":{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\"sha256:"
        + blob(dir, bytes)
        + "\",\"size\":"
        + bytes.length
        + "}";
  }

  private static String blob(Path dir, byte[] bytes) throws IOException {
    String hex = HostTree.sha256(bytes);
    Files.write(dir.resolve("blobs/sha256/" + hex), bytes);
    return hex;
  }
}

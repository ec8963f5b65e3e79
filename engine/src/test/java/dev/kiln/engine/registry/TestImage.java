package dev.kiln.engine.registry;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImagePlatform;
import dev.kiln.engine.image.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/** A small image made up for registry tests: a config, layers of random bytes, a manifest. */
record TestImage(byte[] config, List<byte[]> layers, byte[] manifest) {
  static TestImage random(long seed, int... layerSizes) {
    Random random = new Random(seed);
    List<byte[]> layers =
        java.util.Arrays.stream(layerSizes)
            .mapToObj(
                size -> {
                  byte[] layer = new byte[size];
                  random.nextBytes(layer);
                  return layer;
                })
            .toList();
    String platform = ImagePlatform.current();
    byte[] config =
        ("{\"architecture\":\""
                + platform.substring(platform.indexOf('/') + 1)
                + "\",\"os\":\"linux\",\"seed\":"
                + seed
                + "}")
            .getBytes(StandardCharsets.UTF_8);
    StringBuilder manifest =
        new StringBuilder(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + json(MediaTypes.OCI_CONFIG, config)
                + ",\"layers\":[");
    for (int i = 0; i < layers.size(); i++) {
      manifest.append(i > 0 ? "," : "").append(json(MediaTypes.OCI_LAYER_GZIP, layers.get(i)));
    }
    manifest.append("]}");
    return new TestImage(config, layers, manifest.toString().getBytes(StandardCharsets.UTF_8));
  }

  Descriptor configDescriptor() {
    return descriptor(MediaTypes.OCI_CONFIG, config);
  }

  Descriptor layerDescriptor(int i) {
    return descriptor(MediaTypes.OCI_LAYER_GZIP, layers.get(i));
  }

  Descriptor manifestDescriptor() {
    return descriptor(MediaTypes.OCI_MANIFEST, manifest);
  }

  /** Pushes blobs and manifest; returns the manifest's descriptor. */
  Descriptor push(RegistryClient client, ImageReference reference) throws IOException {
    client.pushBlob(reference, configDescriptor(), BlobSource.of(config), Optional.empty());
    for (int i = 0; i < layers.size(); i++) {
      client.pushBlob(
          reference, layerDescriptor(i), BlobSource.of(layers.get(i)), Optional.empty());
    }
    return client.pushManifest(reference, MediaTypes.OCI_MANIFEST, manifest);
  }

  /** An index with this image for this platform and {@code other} for windows. */
  byte[] index(TestImage other) {
    String platform = ImagePlatform.current();
    String arch = platform.substring(platform.indexOf('/') + 1);
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_INDEX
            + "\",\"manifests\":["
            + entry(other.manifest, "windows", arch)
            + ","
            + entry(manifest, "linux", arch)
            + "]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String entry(byte[] manifest, String os, String arch) {
    return json(MediaTypes.OCI_MANIFEST, manifest)
        .replaceFirst(
            "}$", ",\"platform\":{\"os\":\"" + os + "\",\"architecture\":\"" + arch + "\"}}");
  }

  static Descriptor descriptor(String mediaType, byte[] bytes) {
    return new Descriptor(
        mediaType, Digest.sha256(bytes), bytes.length, Map.of(), Optional.empty());
  }

  private static String json(String mediaType, byte[] bytes) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + Digest.sha256(bytes)
        + "\",\"size\":"
        + bytes.length
        + "}";
  }
}

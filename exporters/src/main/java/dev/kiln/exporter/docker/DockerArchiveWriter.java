package dev.kiln.exporter.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.exporter.image.BuiltImage;
import dev.kiln.exporter.image.ImageLayer;
import dev.kiln.exporter.image.LayoutSink;
import dev.kiln.exporter.image.OciLayout;
import java.io.IOException;
import java.util.List;

/**
 * Writes an image as {@code docker save} (Docker 25 and later) does: an OCI image layout plus
 * Docker's {@code manifest.json} ({@code Config}, {@code RepoTags}, {@code Layers}) pointing at the
 * same blobs, so that every {@code docker load}, containerd's importer and skopeo read it. Layers
 * are the image's own blobs (gzip unless asked otherwise): {@code docker load} decompresses them
 * and checks them against the config's diff IDs.
 */
public final class DockerArchiveWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DockerArchiveWriter() {}

  public static void write(
      BuiltImage image, List<ImageReference> names, ContentStore content, LayoutSink sink)
      throws IOException {
    sink.file("oci-layout", OciLayout.layoutFile());
    sink.file("index.json", OciLayout.index(image, names));
    sink.file("manifest.json", manifestJson(image, names));
    OciLayout.writeBlobs(image, content, sink);
  }

  static byte[] manifestJson(BuiltImage image, List<ImageReference> names) {
    ArrayNode manifests = JSON.createArrayNode();
    ObjectNode entry = manifests.addObject();
    entry.put("Config", OciLayout.blobPath(image.config()));
    ArrayNode tags = entry.putArray("RepoTags");
    for (ImageReference name : names) {
      // Docker can name an image only by tag: a digest-only reference gets no RepoTags entry.
      if (name.tag().isPresent() && name.digest().isEmpty()) {
        tags.add(name.familiar());
      }
    }
    ArrayNode layers = entry.putArray("Layers");
    for (ImageLayer layer : image.layers()) {
      layers.add(OciLayout.blobPath(layer.descriptor()));
    }
    try {
      return JSON.writeValueAsBytes(manifests);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

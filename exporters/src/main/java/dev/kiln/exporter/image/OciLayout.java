package dev.kiln.exporter.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.registry.ImageReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The parts of an OCI image layout: {@code oci-layout}, {@code index.json} naming the manifest
 * (once per name, with containerd's full-name and OCI's tag annotations, as BuildKit writes them),
 * and {@code blobs/sha256/HEX} for every blob of the image.
 */
public final class OciLayout {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OciLayout() {}

  public static byte[] layoutFile() {
    return "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
  }

  /** The index: the manifest once per name, or once without annotations when unnamed. */
  public static byte[] index(BuiltImage image, List<ImageReference> names) {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    Descriptor manifest = image.manifest();
    if (names.isEmpty()) {
      manifests.add(manifest.toJson());
    }
    for (ImageReference name : names) {
      Map<String, String> annotations = new TreeMap<>();
      annotations.put(ImageStore.NAME, name.toString());
      annotations.put(Descriptor.REF_NAME, name.tag().orElse(name.toString()));
      manifests.add(
          new Descriptor(
                  manifest.mediaType(),
                  manifest.digest(),
                  manifest.size(),
                  annotations,
                  Optional.empty())
              .toJson());
    }
    try {
      return JSON.writeValueAsBytes(index);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The path of a blob inside a layout. */
  public static String blobPath(Descriptor blob) {
    return "blobs/sha256/" + blob.digest().hex();
  }

  /** Writes {@code blobs/}, {@code blobs/sha256/} and every blob of {@code image}. */
  public static void writeBlobs(BuiltImage image, ContentStore content, LayoutSink sink)
      throws IOException {
    sink.directory("blobs");
    sink.directory("blobs/sha256");
    for (Descriptor blob : image.blobs()) {
      Path source =
          content
              .path(blob.digest())
              .orElseThrow(
                  () ->
                      new NoSuchFileException(
                          "blob " + blob.digest() + " is not in the content store"));
      sink.file(blobPath(blob), blob.size(), source);
    }
  }
}

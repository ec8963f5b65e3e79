package dev.kiln.exporter.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import java.util.List;

/** The image manifest document, in OCI or Docker (schema 2) media types. */
final class ImageManifest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ImageManifest() {}

  static String mediaType(boolean oci) {
    return oci ? MediaTypes.OCI_MANIFEST : MediaTypes.DOCKER_MANIFEST;
  }

  static String configMediaType(boolean oci) {
    return oci ? MediaTypes.OCI_CONFIG : MediaTypes.DOCKER_CONFIG;
  }

  static byte[] bytes(Descriptor config, List<ImageLayer> layers, boolean oci) {
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", mediaType(oci));
    manifest.set("config", config.toJson());
    ArrayNode array = manifest.putArray("layers");
    layers.forEach(l -> array.add(l.descriptor().toJson()));
    try {
      return JSON.writeValueAsBytes(manifest);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

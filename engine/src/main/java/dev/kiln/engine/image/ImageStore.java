package dev.kiln.engine.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.AtomicFile;
import dev.kiln.engine.content.ContentStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Kiln's local image store: image names (normalised references) and the manifests they name, whose
 * blobs are in the content store. Kept in {@code ROOT/images/index.json}, an OCI image index with
 * each name in an {@code io.containerd.image.name} annotation, rewritten through a temp file and an
 * atomic rename; an entry is written only after its manifest is in the content store.
 */
public final class ImageStore {
  /** The annotation that carries an image's name, as containerd writes it. */
  public static final String NAME = "io.containerd.image.name";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path index;
  private final ContentStore content;

  public ImageStore(Path root, ContentStore content) {
    this.index = root.resolve("images").resolve("index.json");
    this.content = content;
  }

  /** Names {@code manifest} (which must be in the content store) {@code name}, replacing any. */
  public synchronized void tag(String name, Descriptor manifest) throws IOException {
    if (!content.has(manifest.digest())) {
      throw new IOException(
          "cannot tag "
              + name
              + ": manifest "
              + manifest.digest()
              + " is not in the content store");
    }
    Map<String, Descriptor> images = read();
    Map<String, String> annotations = new TreeMap<>(manifest.annotations());
    annotations.put(NAME, name);
    images.put(
        name,
        new Descriptor(
            manifest.mediaType(),
            manifest.digest(),
            manifest.size(),
            annotations,
            Optional.empty()));
    write(images);
  }

  /** The manifest named {@code name}, if the store has it and its blob is still present. */
  public synchronized Optional<Descriptor> find(String name) throws IOException {
    Descriptor found = read().get(name);
    return found != null && content.has(found.digest()) ? Optional.of(found) : Optional.empty();
  }

  /** Every name and its manifest, sorted by name. */
  public synchronized Map<String, Descriptor> list() throws IOException {
    return read();
  }

  private Map<String, Descriptor> read() throws IOException {
    Map<String, Descriptor> images = new TreeMap<>();
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(index));
    } catch (NoSuchFileException e) {
      return images;
    } catch (IOException e) {
      throw damaged(e.getMessage());
    }
    if (root == null || !root.path("manifests").isArray()) {
      throw damaged("no \"manifests\" array");
    }
    for (JsonNode node : root.path("manifests")) {
      Descriptor descriptor = Descriptor.from(node, index.toString());
      String name = descriptor.annotations().get(NAME);
      if (name == null) {
        throw damaged("an entry has no " + NAME + " annotation");
      }
      images.put(name, descriptor);
    }
    return images;
  }

  private IOException damaged(String problem) {
    return new IOException(
        index + " is damaged (" + problem + "); move it away to start an empty image store");
  }

  private void write(Map<String, Descriptor> images) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = root.putArray("manifests");
    images.values().forEach(d -> manifests.add(d.toJson()));
    AtomicFile.write(index, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root), false);
  }
}

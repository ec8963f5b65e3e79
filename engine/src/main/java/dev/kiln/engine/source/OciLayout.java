package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An OCI image layout directory on disk: its {@code oci-layout} marker, {@code index.json} and
 * blobs. Every error names the directory.
 */
final class OciLayout {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "1.0.0";

  private final Path dir;

  private OciLayout(Path dir) {
    this.dir = dir;
  }

  /** Opens {@code dir}, checking its {@code oci-layout} file. */
  static OciLayout open(Path dir) throws IOException {
    OciLayout layout = new OciLayout(dir);
    JsonNode marker = layout.readFile("oci-layout");
    String version = marker.path("imageLayoutVersion").asText("");
    if (!version.equals(VERSION)) {
      throw layout.error(
          "unsupported imageLayoutVersion \"" + version + "\" (want " + VERSION + ")");
    }
    return layout;
  }

  /** The descriptor {@code ref} names in {@code index.json}. */
  Descriptor find(OciReference ref) throws IOException {
    List<Descriptor> entries = index();
    if (ref.digest().isPresent()) {
      Digest wanted = ref.digest().get();
      for (Descriptor entry : entries) {
        if (entry.digest().equals(wanted)) {
          return entry;
        }
      }
      // A digest may also name a manifest nested in an index, which index.json does not list.
      Path blob = blobPath(wanted);
      if (Files.isRegularFile(blob)) {
        return new Descriptor("", wanted, Files.size(blob), Map.of(), Optional.empty());
      }
      throw error("no manifest " + wanted + " in index.json or blobs");
    }
    String tag = ref.tag().orElse(OciReference.DEFAULT_TAG);
    List<String> tags = new ArrayList<>();
    for (Descriptor entry : entries) {
      if (entry.refName().equals(Optional.of(tag))) {
        return entry;
      }
      entry.refName().ifPresent(tags::add);
    }
    throw error(
        "no image tagged \""
            + tag
            + "\" (tags: "
            + (tags.isEmpty() ? "none" : String.join(", ", tags))
            + ")");
  }

  /**
   * Copies the blob of {@code descriptor} into {@code store}, checking that its size and digest
   * match the descriptor.
   */
  void ingest(Descriptor descriptor, ContentStore store) throws IOException {
    Path blob = blobPath(descriptor.digest());
    if (!Files.isRegularFile(blob)) {
      throw error("blob " + descriptor.digest() + " is missing");
    }
    long size = Files.size(blob);
    if (size != descriptor.size()) {
      throw error(
          "blob "
              + descriptor.digest()
              + " has "
              + size
              + " bytes, but its descriptor says "
              + descriptor.size());
    }
    try (InputStream in = Files.newInputStream(blob)) {
      store.ingest(in, Optional.of(descriptor.digest()), descriptor.size());
    } catch (IOException e) {
      throw error("blob " + descriptor.digest() + ": " + e.getMessage(), e);
    }
  }

  /** The blobs of the image {@code ref} names, for the image loader. */
  ImageBlobs blobs(OciReference ref) {
    OciLayout layout = this;
    return new ImageBlobs() {
      @Override
      public Descriptor top() throws IOException {
        return find(ref);
      }

      @Override
      public void fetch(Descriptor blob, ContentStore store) throws IOException {
        if (!store.has(blob.digest())) {
          ingest(blob, store);
        }
      }

      @Override
      public IOException error(String problem, Throwable cause) {
        return layout.error(problem, cause);
      }
    };
  }

  IOException error(String problem) {
    return new IOException("oci-layout " + dir + ": " + problem);
  }

  IOException error(String problem, Throwable cause) {
    return new IOException("oci-layout " + dir + ": " + problem, cause);
  }

  private List<Descriptor> index() throws IOException {
    JsonNode index = readFile("index.json");
    List<Descriptor> entries = new ArrayList<>();
    for (JsonNode node : index.path("manifests")) {
      entries.add(Descriptor.from(node, "oci-layout " + dir + ": index.json"));
    }
    return entries;
  }

  private Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve("sha256").resolve(digest.hex());
  }

  private JsonNode readFile(String name) throws IOException {
    try {
      return JSON.readTree(Files.readAllBytes(dir.resolve(name)));
    } catch (NoSuchFileException e) {
      throw error("no " + name + " file (is this an OCI image layout?)");
    } catch (IOException e) {
      throw error(name + " is not valid JSON: " + e.getMessage(), e);
    }
  }
}

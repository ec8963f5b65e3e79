package dev.kiln.engine.source;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Any document an image reference names, read as an image index or a manifest, leads the image
 * loader to a manifest and its config, or to an error naming the image: never another exception.
 * The image also holds a valid manifest ({@link #MANIFEST}) and config ({@link #CONFIG}) that a
 * fuzzed index or manifest may point at by digest. Seeds: {@code
 * ImageManifestFuzzTestInputs/read/}: {@code i} (an index) or {@code m} (a manifest), then the
 * document.
 */
class ImageManifestFuzzTest {
  static final String CONFIG =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"]},"
          + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
  static final String MANIFEST =
      "{\"schemaVersion\":2,\"mediaType\":\""
          + MediaTypes.OCI_MANIFEST
          + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
          + "\"digest\":\""
          + Digest.sha256(CONFIG.getBytes(StandardCharsets.UTF_8))
          + "\",\"size\":"
          + CONFIG.length()
          + "},\"layers\":[]}";
  private static final String IMAGE = "fuzzed-image";
  private static final ImageLoader LOADER = loader();

  private static ImageLoader loader() {
    try {
      Path root = Files.createTempDirectory("kiln-manifest-fuzz");
      return new ImageLoader(new ContentStore(root), new Snapshotter(root));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest
  void read(byte[] input) {
    boolean index = input.length > 0 && input[0] == 'i';
    byte[] document = Arrays.copyOfRange(input, Math.min(1, input.length), input.length);
    Descriptor top =
        new Descriptor(
            index ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST,
            Digest.sha256(document),
            document.length,
            Map.of(),
            Optional.empty());
    Image image = new Image(top, document);
    try {
      LOADER.config(image);
    } catch (IOException e) {
      assertTrue(String.valueOf(e.getMessage()).startsWith(IMAGE + ": "), e.getMessage());
    }
  }

  /** An image whose blobs are the fuzzed document and the valid manifest and config. */
  private record Image(Descriptor top, byte[] document) implements ImageBlobs {
    @Override
    public void fetch(Descriptor blob, ContentStore store) throws IOException {
      byte[] bytes = blob(blob.digest());
      if (bytes.length != blob.size()) {
        throw error(
            "blob " + blob.digest() + " has " + bytes.length + " bytes, not " + blob.size());
      }
      store.ingest(new ByteArrayInputStream(bytes), Optional.of(blob.digest()), blob.size());
    }

    private byte[] blob(Digest digest) throws IOException {
      for (String text : new String[] {MANIFEST, CONFIG}) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (Digest.sha256(bytes).equals(digest)) {
          return bytes;
        }
      }
      if (top.digest().equals(digest)) {
        return document;
      }
      throw error("blob " + digest + " is missing");
    }

    @Override
    public IOException error(String problem, Throwable cause) {
      return new IOException(IMAGE + ": " + problem, cause);
    }
  }
}

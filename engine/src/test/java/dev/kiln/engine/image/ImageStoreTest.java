package dev.kiln.engine.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
  @TempDir Path root;
  ContentStore content;
  ImageStore store;

  @BeforeEach
  void stores() throws IOException {
    content = new ContentStore(root);
    store = new ImageStore(root, content);
  }

  private Descriptor manifest(String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Digest digest = content.ingest(new ByteArrayInputStream(bytes), Optional.empty(), 1 << 20);
    return new Descriptor(
        MediaTypes.OCI_MANIFEST, digest, bytes.length, Map.of(), Optional.empty());
  }

  @Test
  void aTaggedManifestIsFoundByNameAfterReopening() throws IOException {
    Descriptor one = manifest("{\"one\":1}");
    Descriptor two = manifest("{\"two\":2}");
    store.tag("docker.io/library/app:latest", one);
    store.tag("docker.io/library/app:v2", two);
    store.tag("docker.io/library/app:latest", two);

    ImageStore reopened = new ImageStore(root, content);
    assertEquals(two.digest(), reopened.find("docker.io/library/app:latest").get().digest());
    assertEquals(two.digest(), reopened.find("docker.io/library/app:v2").get().digest());
    assertEquals(Optional.empty(), reopened.find("docker.io/library/other:latest"));
    assertEquals(2, reopened.list().size());
  }

  @Test
  void aManifestNotInTheContentStoreCannotBeTagged() {
    Descriptor absent =
        new Descriptor(
            MediaTypes.OCI_MANIFEST, Digest.sha256("absent"), 6, Map.of(), Optional.empty());
    IOException e = assertThrows(IOException.class, () -> store.tag("app:1", absent));
    assertTrue(e.getMessage().contains("is not in the content store"), e.getMessage());
  }

  @Test
  void aDamagedIndexIsReportedWithItsPathAndNotOverwritten() throws IOException {
    Files.createDirectories(root.resolve("images"));
    Files.writeString(root.resolve("images/index.json"), "{not json");
    Descriptor one = manifest("{\"one\":1}");

    IOException e = assertThrows(IOException.class, () -> store.tag("app:1", one));
    assertTrue(e.getMessage().contains("images/index.json is damaged"), e.getMessage());
    assertEquals("{not json", Files.readString(root.resolve("images/index.json")));
    Files.writeString(root.resolve("images/index.json"), "{\"manifests\":[{\"digest\":1}]}");
    assertThrows(IOException.class, () -> store.find("app:1"));
  }
}

package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.snapshot.LayerBlob;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobCollectorTest {
  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  @TempDir Path root;
  ContentStore content;
  ImageStore images;
  Snapshotter snapshotter;

  @BeforeEach
  void stores() throws IOException {
    content = new ContentStore(root);
    images = new ImageStore(root, content);
    snapshotter = new Snapshotter(root);
  }

  private Digest blob(String text) throws IOException {
    return content.ingest(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Optional.empty(), 1 << 20);
  }

  private static String descriptor(Digest digest) {
    return "{\"mediaType\":\"x\",\"digest\":\"" + digest + "\",\"size\":1}";
  }

  private Digest manifest(Digest config, Digest layer) throws IOException {
    return blob(
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MANIFEST
            + "\",\"config\":"
            + descriptor(config)
            + ",\"layers\":["
            + descriptor(layer)
            + "]}");
  }

  /** A committed layer unpacked from {@code blob}. */
  private void layerFrom(Digest blob) throws IOException {
    var active = snapshotter.prepare();
    Files.writeString(active.upper().resolve("f"), "f");
    snapshotter.commit(
        active,
        Optional.of(new LayerBlob("application/vnd.oci.image.layer.v1.tar+gzip", blob, 1, blob)));
  }

  @Test
  void keepsWhatImagesAndLayersNeedAndSweepsTheRest() throws IOException {
    Digest taggedConfig = blob("{\"tagged\":\"config\"}");
    Digest taggedLayer = blob("tagged layer bytes");
    Digest tagged = manifest(taggedConfig, taggedLayer);
    images.tag(
        "example.com/app:1", new Descriptor(MANIFEST, tagged, 1, Map.of(), Optional.empty()));

    Digest pulledConfig = blob("{\"pulled\":\"config\"}");
    Digest pulledLayer = blob("pulled layer bytes");
    Digest pulled = manifest(pulledConfig, pulledLayer);
    Digest pulledIndex = blob("{\"schemaVersion\":2,\"manifests\":[" + descriptor(pulled) + "]}");
    layerFrom(pulledLayer);

    Digest goneConfig = blob("{\"gone\":\"config\"}");
    Digest goneLayer = blob("gone layer bytes");
    Digest gone = manifest(goneConfig, goneLayer);
    Digest export = blob("a cache export written out long ago");

    BlobCollector.Swept swept = BlobCollector.sweep(content, images, snapshotter);

    for (Digest kept :
        List.of(
            tagged, taggedConfig, taggedLayer, pulled, pulledConfig, pulledLayer, pulledIndex)) {
      assertTrue(content.has(kept), "swept a kept blob " + kept);
    }
    for (Digest doomed : List.of(gone, goneConfig, goneLayer, export)) {
      assertFalse(content.has(doomed), "kept " + doomed);
    }
    assertEquals(4, swept.blobs());
    assertTrue(swept.bytes() > 0);
    assertEquals(new BlobCollector.Swept(0, 0), BlobCollector.sweep(content, images, snapshotter));
  }

  @Test
  void aDamagedImageIndexSweepsNothing() throws IOException {
    Digest export = blob("not referenced");
    Files.createDirectories(root.resolve("images"));
    Files.writeString(root.resolve("images/index.json"), "{ damaged");

    org.junit.jupiter.api.Assertions.assertThrows(
        IOException.class, () -> BlobCollector.sweep(content, images, snapshotter));

    assertTrue(content.has(export));
  }
}

package dev.kiln.engine.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker-image:// sources: the local image store first, then the registry. */
class DockerImageSourceTest {
  @TempDir Path root;
  ContentStore content;
  ImageLoader loader;
  ImageStore store;
  final List<String> registryAsked = new ArrayList<>();

  /** Stands in for registries, which this test does not test: it records what it was asked. */
  final RegistryImages registries =
      new RegistryImages() {
        @Override
        public String normalize(String reference) {
          return reference.contains("/") ? reference : "docker.io/library/" + reference + ":latest";
        }

        @Override
        public ImageBlobs open(String normalized) throws IOException {
          registryAsked.add(normalized);
          throw new IOException("not found: " + normalized);
        }
      };

  @BeforeEach
  void stores() throws IOException {
    content = new ContentStore(root);
    loader = new ImageLoader(content, new Snapshotter(root));
    store = new ImageStore(root, content);
  }

  @Test
  void anImageInTheLocalStoreIsLoadedWithoutAskingTheRegistry() throws Exception {
    OciLayoutSource layouts = new OciLayoutSource(loader);
    Snapshot fromLayout = layouts.load(BusyboxLayout.identifier());
    Digest manifest = layouts.resolveManifest(BusyboxLayout.identifier());
    long size = Files.size(content.path(manifest).orElseThrow());
    store.tag(
        "docker.io/library/busybox:latest",
        new Descriptor(MediaTypes.OCI_MANIFEST, manifest, size, Map.of(), Optional.empty()));
    DockerImageSource images = new DockerImageSource(loader, store, registries);

    assertEquals(manifest, images.resolveManifest("docker-image://busybox"));
    assertEquals(fromLayout, images.load("docker-image://busybox"));
    assertEquals(
        "sh",
        images.imageConfig("docker-image://busybox").path("config").path("Cmd").get(0).asText());
    assertEquals(List.of(), registryAsked);
  }

  @Test
  void anImageNotInTheLocalStoreComesFromItsRegistry() {
    DockerImageSource images = new DockerImageSource(loader, store, registries);
    IOException e = assertThrows(IOException.class, () -> images.load("docker-image://alpine"));
    assertEquals("not found: docker.io/library/alpine:latest", e.getMessage());
    assertEquals(List.of("docker.io/library/alpine:latest"), registryAsked);
    assertTrue(
        assertThrows(IOException.class, () -> images.load("oci-layout:///x"))
            .getMessage()
            .contains("not a docker-image:// reference"));
  }
}

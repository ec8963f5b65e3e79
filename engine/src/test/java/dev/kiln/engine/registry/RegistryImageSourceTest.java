package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.ImagePlatform;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.source.ImageBlobs;
import dev.kiln.engine.source.ImageLoader;
import dev.kiln.engine.testing.RegistryServer;
import dev.kiln.engine.testing.Tars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker-image:// sources pulled from a real registry through the engine's image loader. */
class RegistryImageSourceTest {
  private static RegistryServer registry;

  @TempDir Path temp;

  @BeforeAll
  static void startRegistry() throws IOException {
    registry = RegistryServer.start();
  }

  @AfterAll
  static void stopRegistry() throws IOException {
    registry.close();
  }

  @Test
  void anImageBehindAnIndexLoadsIntoSnapshots() throws IOException {
    RegistryClient client = RegistryClient.builder().build();
    byte[] tar = new Tars().dir("etc/", 0755).file("etc/os-release", "kiln", 0644).tar();
    byte[] layer = Tars.gzip(tar);
    String platform = ImagePlatform.current();
    String arch = platform.substring(platform.indexOf('/') + 1);
    byte[] config =
        ("{\"architecture\":\""
                + arch
                + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256(tar)
                + "\"]}}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + json(MediaTypes.OCI_CONFIG, config, "")
                + ",\"layers\":["
                + json(MediaTypes.OCI_LAYER_GZIP, layer, "")
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] index =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_INDEX
                + "\",\"manifests\":["
                + json(
                    MediaTypes.OCI_MANIFEST,
                    manifest,
                    ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + arch + "\"}")
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    ImageReference reference = ImageReference.parse(registry.host() + "/base:1");
    client.pushBlob(
        reference,
        TestImage.descriptor(MediaTypes.OCI_CONFIG, config),
        BlobSource.of(config),
        Optional.empty());
    client.pushBlob(
        reference,
        TestImage.descriptor(MediaTypes.OCI_LAYER_GZIP, layer),
        BlobSource.of(layer),
        Optional.empty());
    client.pushManifest(reference.withTag("single"), MediaTypes.OCI_MANIFEST, manifest);
    client.pushManifest(reference, MediaTypes.OCI_INDEX, index);
    RegistryImageSource source = new RegistryImageSource(() -> client);
    ImageLoader loader =
        new ImageLoader(
            new ContentStore(temp.resolve("root")), new Snapshotter(temp.resolve("root")));

    String name = source.normalize(registry.host() + "/base:1");
    ImageBlobs image = source.open(name);
    Snapshot snapshot = loader.load(image);

    assertEquals(registry.host() + "/base:1", name);
    assertEquals(Digest.sha256(index), image.top().digest());
    assertEquals(1, snapshot.layers().size());
    assertEquals(
        "kiln", Files.readString(snapshot.layers().get(0).dir().resolve("etc/os-release")));
    assertEquals("A=1", loader.config(image).path("config").path("Env").get(0).asText());
  }

  @Test
  void aMalformedReferenceIsAnIoErrorNamingIt() {
    RegistryImageSource source = new RegistryImageSource(() -> RegistryClient.builder().build());

    IOException e = assertThrows(IOException.class, () -> source.normalize("Bad:ref"));
    assertTrue(e.getMessage().startsWith("invalid reference \"Bad:ref\""), e.getMessage());
  }

  private static String json(String mediaType, byte[] bytes, String extra) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + Digest.sha256(bytes)
        + "\",\"size\":"
        + bytes.length
        + extra
        + "}";
  }
}

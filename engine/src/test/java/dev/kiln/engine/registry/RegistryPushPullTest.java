package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import dev.kiln.engine.testing.RegistryProxy;
import dev.kiln.engine.testing.RegistryServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pushes and pulls against Debian's real docker-registry, counted through a proxy. */
class RegistryPushPullTest {
  private static RegistryServer registry;
  private static RegistryProxy proxy;

  @TempDir Path temp;
  private RegistryClient client;

  @BeforeAll
  static void startRegistry() throws IOException {
    registry = RegistryServer.start();
    proxy = RegistryProxy.start(registry.uri());
  }

  @AfterAll
  static void stopRegistry() throws IOException {
    proxy.close();
    registry.close();
  }

  @BeforeEach
  void newClient() {
    proxy.clearRequests();
    client =
        RegistryClient.builder()
            .retry(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)))
            .limits(new RegistryClient.Limits(4 << 20, 32 * 1024, 64 * 1024))
            .build();
  }

  @Test
  void aSmallBlobIsUploadedInOneRequestAndNotAgain() throws IOException {
    ImageReference repo = ImageReference.parse(proxy.host() + "/mono");
    byte[] blob = TestImage.random(1, 1000).layers().get(0);
    Descriptor descriptor = TestImage.descriptor(MediaTypes.OCI_LAYER_GZIP, blob);

    assertEquals(
        BlobPushResult.UPLOADED,
        client.pushBlob(repo, descriptor, BlobSource.of(blob), Optional.empty()));
    assertEquals(
        BlobPushResult.ALREADY_PRESENT,
        client.pushBlob(repo, descriptor, BlobSource.of(blob), Optional.empty()));

    assertEquals(0, proxy.count(r -> r.method().equals("PATCH")));
    assertEquals(1, proxy.count(r -> r.method().equals("PUT") && r.query().contains("digest=")));
    assertEquals(2, proxy.count(r -> r.method().equals("HEAD")), "a HEAD check before each push");
    assertPullable(repo, descriptor, blob);
  }

  @Test
  void aBigBlobIsUploadedInChunks() throws IOException {
    ImageReference repo = ImageReference.parse(proxy.host() + "/chunked");
    byte[] blob = TestImage.random(2, 200 * 1024).layers().get(0);
    Descriptor descriptor = TestImage.descriptor(MediaTypes.OCI_LAYER_GZIP, blob);

    assertEquals(
        BlobPushResult.UPLOADED,
        client.pushBlob(repo, descriptor, BlobSource.of(blob), Optional.empty()));

    var patches = proxy.requests().stream().filter(r -> r.method().equals("PATCH")).toList();
    assertEquals(4, patches.size(), "200 KiB in 64 KiB chunks");
    assertEquals("0-65535", patches.get(0).headers().get("content-range"));
    assertEquals("196608-204799", patches.get(3).headers().get("content-range"));
    assertPullable(repo, descriptor, blob);
  }

  @Test
  void aManifestResolvesByTagAndByDigest() throws IOException {
    ImageReference reference = ImageReference.parse(registry.host() + "/app:1");
    TestImage image = TestImage.random(3, 100, 200);

    Descriptor pushed = image.push(client, reference);

    assertEquals(image.manifestDescriptor(), pushed);
    assertEquals(pushed, client.resolve(reference));
    assertEquals(pushed, client.resolve(reference.withDigest(pushed.digest())));
    ImageReference byDigest = ImageReference.parse(registry.host() + "/app@" + pushed.digest());
    Manifest fetched = client.fetchManifest(byDigest);
    assertArrayEquals(image.manifest(), fetched.bytes());
    assertFalse(fetched.isIndex());
  }

  @Test
  void anIndexResolvesAndLeadsToThisPlatformsManifest() throws IOException {
    ImageReference reference = ImageReference.parse(registry.host() + "/multi:latest");
    TestImage image = TestImage.random(4, 300);
    TestImage other = TestImage.random(40, 30);
    image.push(client, reference.withTag("single"));
    other.push(client, reference.withTag("other"));
    byte[] index = image.index(other);

    Descriptor pushed = client.pushManifest(reference, MediaTypes.OCI_INDEX, index);

    Descriptor resolved = client.resolve(reference);
    assertEquals(MediaTypes.OCI_INDEX, resolved.mediaType());
    assertEquals(Digest.sha256(index), resolved.digest());
    assertEquals(pushed, resolved);
    Manifest manifest = client.fetchImageManifest(reference);
    assertEquals(image.manifestDescriptor(), manifest.descriptor());
    assertArrayEquals(image.manifest(), manifest.bytes());
  }

  @Test
  void aManifestCanBePushedByDigestOnly() throws IOException {
    TestImage image = TestImage.random(5, 10);
    ImageReference repo = ImageReference.parse(registry.host() + "/bydigest");
    image.push(client, repo.withTag("t"));
    ImageReference byDigest = repo.withDigest(image.manifestDescriptor().digest());

    assertEquals(
        image.manifestDescriptor(),
        client.pushManifest(
            ImageReference.parse(byDigest.name() + "@" + byDigest.digest().get()),
            MediaTypes.OCI_MANIFEST,
            image.manifest()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                client.pushManifest(
                    ImageReference.parse(repo.name() + "@" + Digest.sha256("other")),
                    MediaTypes.OCI_MANIFEST,
                    image.manifest()));
    assertTrue(e.getMessage().contains("the manifest's digest is"), e.getMessage());
  }

  @Test
  void aPulledImageLandsVerifiedInAFreshContentStore() throws IOException {
    ImageReference reference = ImageReference.parse(registry.host() + "/pull:v1");
    TestImage image = TestImage.random(6, 5000, 70_000);
    image.push(client, reference);
    ContentStore store = new ContentStore(temp.resolve("fresh"));

    Manifest manifest = client.fetchImageManifest(reference);
    client.fetchBlob(reference, image.configDescriptor(), store);
    client.fetchBlob(reference, image.layerDescriptor(0), store);
    client.fetchBlob(reference, image.layerDescriptor(1), store);

    assertEquals(image.manifestDescriptor().digest(), manifest.descriptor().digest());
    for (Descriptor d :
        new Descriptor[] {
          image.configDescriptor(), image.layerDescriptor(0), image.layerDescriptor(1)
        }) {
      store.verify(d.digest());
    }
    try (InputStream in = store.open(image.layerDescriptor(1).digest())) {
      assertArrayEquals(image.layers().get(1), in.readAllBytes());
    }
  }

  @Test
  void aBlobInAnotherRepositoryIsMountedNotUploaded() throws IOException {
    byte[] blob = TestImage.random(7, 100_000).layers().get(0);
    Descriptor descriptor = TestImage.descriptor(MediaTypes.OCI_LAYER_GZIP, blob);
    ImageReference source = ImageReference.parse(proxy.host() + "/mount/source");
    ImageReference target = ImageReference.parse(proxy.host() + "/mount/target");
    client.pushBlob(source, descriptor, BlobSource.of(blob), Optional.empty());
    proxy.clearRequests();

    assertEquals(
        BlobPushResult.MOUNTED,
        client.pushBlob(target, descriptor, BlobSource.of(blob), Optional.of("mount/source")));

    assertEquals(
        1,
        proxy.count(
            r ->
                r.method().equals("POST")
                    && r.query().equals("mount=" + descriptor.digest() + "&from=mount%2Fsource")));
    assertEquals(0, proxy.count(r -> r.method().equals("PATCH") || r.method().equals("PUT")));
    assertPullable(target, descriptor, blob);
  }

  @Test
  void aMountFromARepositoryWithoutTheBlobFallsBackToAnUpload() throws IOException {
    byte[] blob = TestImage.random(8, 1000).layers().get(0);
    Descriptor descriptor = TestImage.descriptor(MediaTypes.OCI_LAYER_GZIP, blob);
    ImageReference target = ImageReference.parse(proxy.host() + "/mount/fallback");

    assertEquals(
        BlobPushResult.UPLOADED,
        client.pushBlob(target, descriptor, BlobSource.of(blob), Optional.of("mount/nothing")));
    assertPullable(target, descriptor, blob);
  }

  @Test
  void aMissingTagIsNotFoundNamingTheReference() {
    ImageReference reference = ImageReference.parse(registry.host() + "/nosuch");

    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve(reference));

    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
    assertTrue(
        e.getMessage()
            .startsWith(
                "not found: " + registry.host() + "/nosuch:latest: no such repository or tag"),
        e.getMessage());
  }

  @Test
  void aMissingBlobIsNotFoundNamingTheBlob() throws IOException {
    ImageReference repo = ImageReference.parse(registry.host() + "/noblob");
    Descriptor missing = TestImage.descriptor(MediaTypes.OCI_LAYER, new byte[] {1, 2, 3});
    ContentStore store = new ContentStore(temp.resolve("store"));

    RegistryException e =
        assertThrows(RegistryException.class, () -> client.fetchBlob(repo, missing, store));

    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
    assertTrue(
        e.getMessage().startsWith("not found: " + repo.name() + "@" + missing.digest()),
        e.getMessage());
    assertFalse(store.has(missing.digest()));
  }

  private void assertPullable(ImageReference repo, Descriptor descriptor, byte[] blob)
      throws IOException {
    ContentStore store = new ContentStore(temp.resolve("check-" + descriptor.digest().hex()));
    client.fetchBlob(repo, descriptor, store);
    try (InputStream in = store.open(descriptor.digest())) {
      assertArrayEquals(blob, in.readAllBytes());
    }
  }
}

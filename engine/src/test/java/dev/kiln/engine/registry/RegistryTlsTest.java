package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls over TLS, where the client speaks HTTP/2 as it does with public registries: a TLS registry
 * shares the storage of a plain one (pushed to) and serves as its mirror.
 */
class RegistryTlsTest {
  private static final RetryPolicy QUICK =
      new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2));

  private static RegistryServer plain;
  private static RegistryServer tls;

  @TempDir Path temp;

  @BeforeAll
  static void startRegistries() throws IOException {
    plain = RegistryServer.start();
    tls = RegistryServer.builder().tls().storage(plain.storage()).start();
  }

  @AfterAll
  static void stopRegistries() throws IOException {
    tls.close();
    plain.close();
  }

  @Test
  void aPullOverTlsUsesHttp2() throws IOException {
    ImageReference reference = ImageReference.parse(plain.host() + "/tls/app:1");
    TestImage image = TestImage.random(50, 100_000);
    image.push(RegistryClient.builder().build(), reference);
    RegistryClient client =
        RegistryClient.builder()
            .retry(QUICK)
            .sslContext(tls.sslContext())
            .hosts(
                new RegistryHosts(
                    Map.of(
                        plain.host(),
                        RegistryHosts.Host.mirrored(List.of("https://" + tls.host())))))
            .build();
    ContentStore store = new ContentStore(temp);

    assertEquals(image.manifestDescriptor(), client.resolve(reference));
    client.fetchBlob(reference, image.layerDescriptor(0), store);

    store.verify(image.layerDescriptor(0).digest());
    String log = tls.log();
    assertTrue(
        log.contains(
            "\"GET /v2/tls/app/blobs/" + image.layerDescriptor(0).digest() + " HTTP/2.0\""),
        log);
    assertTrue(log.contains("\"HEAD /v2/tls/app/manifests/1 HTTP/2.0\""), log);
  }

  @Test
  void aPushOverTlsUsesHttp2ForEveryUploadRequest() throws IOException {
    ImageReference reference = ImageReference.parse(tls.host() + "/tls/pushed:1");
    TestImage image = TestImage.random(51, 1000, 150_000);
    RegistryClient client =
        RegistryClient.builder()
            .retry(QUICK)
            .sslContext(tls.sslContext())
            .limits(new RegistryClient.Limits(1 << 20, 32 * 1024, 64 * 1024))
            // A loopback registry is plain HTTP unless told otherwise.
            .hosts(new RegistryHosts(Map.of(tls.host(), new RegistryHosts.Host(List.of(), false))))
            .build();

    image.push(client, reference);

    assertEquals(image.manifestDescriptor(), client.resolve(reference));
    ContentStore store = new ContentStore(temp);
    client.fetchBlob(reference, image.layerDescriptor(1), store);
    store.verify(image.layerDescriptor(1).digest());
    String log = tls.log();
    assertTrue(log.contains("\"PATCH /v2/tls/pushed/blobs/uploads/"), log);
    for (String method : List.of("POST", "PATCH", "PUT", "HEAD")) {
      assertTrue(
          log.lines()
              .filter(l -> l.contains("\"" + method + " /v2/tls/pushed/"))
              .allMatch(l -> l.contains(" HTTP/2.0\"")),
          log);
    }
  }

  @Test
  void anUntrustedCertificateIsATlsErrorThatIsNotRetried() {
    RegistryClient client =
        RegistryClient.builder()
            .retry(QUICK)
            .hosts(
                new RegistryHosts(
                    Map.of(
                        "tls.invalid",
                        RegistryHosts.Host.mirrored(List.of("https://" + tls.host())))))
            .build();

    RegistryException e =
        assertThrows(
            RegistryException.class,
            () -> client.resolve(ImageReference.parse("tls.invalid/tls/app:1")));

    // The mirror's TLS failure is kept with the registry's own failure (no such host).
    RegistryException mirror = (RegistryException) e.getSuppressed()[0];
    assertEquals(RegistryException.Kind.REJECTED, mirror.kind());
    assertTrue(
        mirror.getMessage().contains("TLS with " + tls.host() + " failed")
            && mirror.getMessage().contains("mark it \"insecure\" in registries.json"),
        mirror.getMessage());
  }
}

package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.testing.RegistryProxy;
import dev.kiln.engine.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials against a real registry with htpasswd (Basic) auth, and bearer tokens from a token
 * service the test proxy runs in front of a real registry.
 */
class RegistryAuthTest {
  private static final RetryPolicy QUICK =
      new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2));

  private static RegistryServer basic;
  private static RegistryServer open;

  @TempDir Path temp;

  @BeforeAll
  static void startRegistries() throws IOException {
    basic = RegistryServer.start(Map.of("alice", "s3cret"));
    open = RegistryServer.start();
  }

  @AfterAll
  static void stopRegistries() throws IOException {
    basic.close();
    open.close();
  }

  @Test
  void aBasicAuthRegistryAcceptsItsUser() throws IOException {
    RegistryClient client = client(credentials(basic.host(), "alice", "s3cret"));
    ImageReference reference = ImageReference.parse(basic.host() + "/private/app:1");
    TestImage image = TestImage.random(20, 1000);

    Descriptor pushed = image.push(client, reference);

    assertEquals(pushed, client.resolve(reference));
    ContentStore store = new ContentStore(temp);
    client.fetchBlob(reference, image.layerDescriptor(0), store);
    store.verify(image.layerDescriptor(0).digest());
    client.checkLogin(basic.host());
  }

  @Test
  void withoutCredentialsABasicAuthRegistrySaysWhoToLogInTo() {
    RegistryClient client = client(CredentialSource.none());
    ImageReference reference = ImageReference.parse(basic.host() + "/private/app:1");

    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve(reference));

    assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
    assertEquals(
        "unauthorized: "
            + basic.host()
            + "/private/app:1: run kiln login "
            + basic.host()
            + " or check the credentials in ~/.docker/config.json",
        e.getMessage());
  }

  @Test
  void aWrongPasswordIsUnauthorizedAndFailsLogin() {
    RegistryClient client = client(credentials(basic.host(), "alice", "wrong"));

    RegistryException pull =
        assertThrows(
            RegistryException.class,
            () -> client.resolve(ImageReference.parse(basic.host() + "/private/app:1")));
    RegistryException login =
        assertThrows(RegistryException.class, () -> client.checkLogin(basic.host()));

    assertEquals(RegistryException.Kind.UNAUTHORIZED, pull.kind());
    assertEquals(RegistryException.Kind.UNAUTHORIZED, login.kind());
    assertTrue(login.getMessage().contains("run kiln login " + basic.host()), login.getMessage());
  }

  @Test
  void aBearerChallengeIsAnsweredWithATokenCachedPerScope() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      proxy.requireBearerTokens(Map.of("bob", "pw"), 300);
      RegistryClient client = client(credentials(proxy.host(), "bob", "pw"));
      ImageReference reference = ImageReference.parse(proxy.host() + "/tokens/app:1");
      TestImage image = TestImage.random(21, 2000);

      image.push(client, reference);
      client.resolve(reference);
      client.resolve(reference);
      client.fetchBlob(reference, image.layerDescriptor(0), new ContentStore(temp));

      assertEquals(
          List.of("repository:tokens/app:pull,push", "repository:tokens/app:pull"),
          proxy.tokenScopes());
      assertEquals(2, proxy.tokensIssued());
    }
  }

  @Test
  void anExpiredTokenIsRenewed() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      proxy.requireBearerTokens(Map.of(), 120);
      MutableClock clock = new MutableClock();
      RegistryClient client = RegistryClient.builder().retry(QUICK).clock(clock).build();
      ImageReference reference = ImageReference.parse(proxy.host() + "/expiry/app:1");
      TestImage.random(22, 10).push(client, reference);
      int afterPush = proxy.tokensIssued();

      client.resolve(reference);
      client.resolve(reference);
      assertEquals(afterPush + 1, proxy.tokensIssued());
      clock.advance(Duration.ofSeconds(121));
      client.resolve(reference);
      assertEquals(afterPush + 2, proxy.tokensIssued());
    }
  }

  @Test
  void aTokenServiceRefusingTheCredentialsIsUnauthorized() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      proxy.requireBearerTokens(Map.of("bob", "pw"), 300);
      RegistryClient client = client(credentials(proxy.host(), "bob", "nope"));

      RegistryException e =
          assertThrows(
              RegistryException.class,
              () -> client.resolve(ImageReference.parse(proxy.host() + "/tokens/app:1")));
      RegistryException login =
          assertThrows(RegistryException.class, () -> client.checkLogin(proxy.host()));

      assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
      assertTrue(
          e.getMessage().startsWith("unauthorized: " + proxy.host() + "/tokens/app:1: run kiln"),
          e.getMessage());
      assertEquals(RegistryException.Kind.UNAUTHORIZED, login.kind());
    }
  }

  @Test
  void aBlobRedirectedToAnotherHostGetsNoCredentials() throws IOException {
    try (RegistryProxy storage = RegistryProxy.start(open.uri());
        RegistryProxy front = RegistryProxy.start(open.uri())) {
      RegistryClient pusher = client(CredentialSource.none());
      ImageReference direct = ImageReference.parse(open.host() + "/redirect/app:1");
      TestImage image = TestImage.random(23, 5000);
      image.push(pusher, direct);
      front.requireBearerTokens(Map.of("bob", "pw"), 300);
      front.redirectBlobDownloadsTo(storage);
      RegistryClient client = client(credentials(front.host(), "bob", "pw"));
      ImageReference reference = ImageReference.parse(front.host() + "/redirect/app:1");
      ContentStore store = new ContentStore(temp);

      client.fetchBlob(reference, image.layerDescriptor(0), store);

      store.verify(image.layerDescriptor(0).digest());
      var atFront = front.requests().stream().filter(RegistryProxy.Seen::isBlobDownload).toList();
      var atStorage =
          storage.requests().stream().filter(RegistryProxy.Seen::isBlobDownload).toList();
      assertTrue(atFront.get(atFront.size() - 1).headers().containsKey("authorization"));
      assertEquals(1, atStorage.size());
      assertFalse(atStorage.get(0).headers().containsKey("authorization"), "no credentials");
    }
  }

  @Test
  void aTokenNamedAccessTokenIsAcceptedToo() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      proxy.requireBearerTokens(Map.of(), 300);
      proxy.tokenField("access_token");
      RegistryClient client = client(CredentialSource.none());
      ImageReference reference = ImageReference.parse(proxy.host() + "/access/app:1");

      Descriptor pushed = TestImage.random(24, 10).push(client, reference);

      assertEquals(pushed, client.resolve(reference));
    }
  }

  @Test
  void anIdentityTokenIsExchangedWithAnOAuthRefreshGrant() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      proxy.requireBearerTokens(Map.of("bob", "unused"), 300);
      proxy.acceptRefreshToken("refresh-1");
      RegistryClient client =
          client(name -> Optional.of(new Credentials("bob", "", Optional.of("refresh-1"))));
      ImageReference reference = ImageReference.parse(proxy.host() + "/oauth/app:1");

      Descriptor pushed = TestImage.random(25, 10).push(client, reference);

      assertEquals(pushed, client.resolve(reference));
      assertTrue(
          proxy.requests().stream()
              .anyMatch(r -> r.method().equals("POST") && r.path().equals("/token")));
      assertEquals(
          List.of("repository:oauth/app:pull,push", "repository:oauth/app:pull"),
          proxy.tokenScopes());
    }
  }

  @Test
  void malformedOrUnusableChallengesAreClearErrors() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      RegistryClient client = client(CredentialSource.none());
      ImageReference reference = ImageReference.parse(proxy.host() + "/challenged/app:1");

      assertEquals(
          "malformed WWW-Authenticate header \"Bearer realm=\"unterminated\": unterminated quoted"
              + " string at offset 26",
          afterPrefix(challenged(proxy, client, reference, "Bearer realm=\"unterminated")));
      String fileRealm =
          challenged(proxy, client, reference, "Bearer realm=\"file:///etc/passwd\"");
      assertTrue(fileRealm.endsWith("is not an http(s) URL"), fileRealm);
      String negotiate = challenged(proxy, client, reference, "Negotiate abc==");
      assertTrue(
          negotiate.endsWith("it asks for negotiate authentication; Kiln speaks Bearer and Basic"),
          negotiate);
      String noRealm = challenged(proxy, client, reference, "Bearer service=\"x\"");
      assertTrue(noRealm.endsWith("its Bearer challenge has no realm"), noRealm);
    }
  }

  @Test
  void hostileTokenRepliesAreClearErrors() throws IOException {
    try (RegistryProxy proxy = RegistryProxy.start(open.uri())) {
      proxy.requireBearerTokens(Map.of(), 300);
      ImageReference reference = ImageReference.parse(proxy.host() + "/hostile/app:1");

      assertTrue(tokenFailure(proxy, reference, "<html>").endsWith("its reply is not JSON"));
      assertTrue(
          tokenFailure(proxy, reference, "{\"expires_in\":5}")
              .endsWith("its reply has neither \"token\" nor \"access_token\""));
      assertTrue(
          tokenFailure(proxy, reference, "{\"token\":\"a\\r\\nX-Injected: 1\"}")
              .endsWith("its token has characters a header cannot carry"));
      assertTrue(
          tokenFailure(proxy, reference, "{\"token\":\"" + "x".repeat(1_100_000) + "\"}")
              .contains("larger than"));
    }
  }

  private static String challenged(
      RegistryProxy proxy, RegistryClient client, ImageReference reference, String header) {
    proxy.fail(401, Map.of("WWW-Authenticate", header), 1, r -> true);
    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve(reference));
    assertEquals(RegistryException.Kind.INVALID_RESPONSE, e.kind(), e.getMessage());
    return e.getMessage();
  }

  private static String tokenFailure(RegistryProxy proxy, ImageReference reference, String reply) {
    proxy.tokenReply(reply);
    RegistryClient client = client(CredentialSource.none());
    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve(reference));
    assertEquals(RegistryException.Kind.INVALID_RESPONSE, e.kind(), e.getMessage());
    return e.getMessage();
  }

  private static String afterPrefix(String message) {
    return message.substring(message.indexOf(": malformed") + 2);
  }

  private static RegistryClient client(CredentialSource credentials) {
    return RegistryClient.builder()
        .retry(QUICK)
        .credentials(credentials, "~/.docker/config.json")
        .build();
  }

  private static CredentialSource credentials(String registry, String user, String password) {
    return name ->
        name.equals(registry) ? Optional.of(Credentials.of(user, password)) : Optional.empty();
  }

  /** A clock tests move forward by hand. */
  private static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}

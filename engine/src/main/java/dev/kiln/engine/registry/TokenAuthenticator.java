package dev.kiln.engine.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Gets bearer tokens from a registry's token service, as a {@code WWW-Authenticate: Bearer
 * realm=…,service=…} challenge names it (Docker's token protocol; OAuth2 refresh for identity
 * tokens), and caches each per registry, scope and user until it expires.
 */
final class TokenAuthenticator {
  private static final int MAX_REPLY = 1024 * 1024;
  private static final long MIN_EXPIRY_SECONDS = 60; // what the token spec says to assume
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Cached(String token, Instant expires) {}

  private final HttpClient http;
  private final Clock clock;
  private final Duration timeout;
  private final ConcurrentMap<String, Cached> cache = new ConcurrentHashMap<>();

  TokenAuthenticator(HttpClient http, Clock clock, Duration timeout) {
    this.http = http;
    this.clock = clock;
    this.timeout = timeout;
  }

  /** A token for {@code scope} on {@code endpoint}, from the cache while it is valid. */
  String token(
      RegistryEndpoint endpoint,
      AuthChallenge challenge,
      Scope scope,
      Optional<Credentials> credentials)
      throws IOException {
    String key = key(endpoint, challenge, scope, credentials);
    Cached cached = cache.get(key);
    if (cached != null && clock.instant().isBefore(cached.expires())) {
      return cached.token();
    }
    Cached fresh = request(endpoint, challenge, scope, credentials);
    cache.put(key, fresh);
    return fresh.token();
  }

  /** Drops a token the registry refused, so that the next request gets a new one. */
  void forget(
      RegistryEndpoint endpoint,
      AuthChallenge challenge,
      Scope scope,
      Optional<Credentials> credentials) {
    cache.remove(key(endpoint, challenge, scope, credentials));
  }

  private static String key(
      RegistryEndpoint endpoint,
      AuthChallenge challenge,
      Scope scope,
      Optional<Credentials> credentials) {
    return endpoint.host()
        + "\n"
        + challenge.param("realm").orElse("")
        + "\n"
        + challenge.param("service").orElse("")
        + "\n"
        + scope.key()
        + "\n"
        + credentials.map(Credentials::username).orElse("");
  }

  private Cached request(
      RegistryEndpoint endpoint,
      AuthChallenge challenge,
      Scope scope,
      Optional<Credentials> credentials)
      throws IOException {
    URI realm = realm(endpoint, challenge);
    boolean mayCarrySecrets = realm.getScheme().equals("https") || endpoint.plainHttp();
    if (credentials.isPresent() && !mayCarrySecrets) {
      throw new RegistryException(
          RegistryException.Kind.REJECTED,
          endpoint.describe()
              + ": its token service "
              + Texts.excerpt(realm.toString())
              + " is plain HTTP; refusing to send credentials for an HTTPS registry to it");
    }
    Optional<String> service = challenge.param("service");
    HttpRequest.Builder request = HttpRequest.newBuilder().timeout(timeout);
    if (credentials.isPresent() && credentials.get().identityToken().isPresent()) {
      // Docker's OAuth2 flow for identity tokens: a refresh-token grant, posted as a form.
      StringBuilder form =
          new StringBuilder("grant_type=refresh_token&client_id=kiln&refresh_token=")
              .append(encode(credentials.get().identityToken().get()));
      service.ifPresent(s -> form.append("&service=").append(encode(s)));
      if (!scope.resources().isEmpty()) {
        form.append("&scope=").append(encode(String.join(" ", scope.resources())));
      }
      request
          .uri(realm)
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
    } else {
      StringBuilder query = new StringBuilder();
      service.ifPresent(s -> query.append("service=").append(encode(s)));
      for (String resource : scope.resources()) {
        query.append(query.length() > 0 ? "&" : "").append("scope=").append(encode(resource));
      }
      String base = realm.toString();
      String uri = query.length() == 0 ? base : base + (base.contains("?") ? "&" : "?") + query;
      request.uri(URI.create(uri)).GET();
      credentials.ifPresent(c -> request.header("Authorization", c.basicHeader()));
    }
    HttpResponse<InputStream> response = send(endpoint, realm, request.build());
    try (InputStream body = response.body()) {
      int status = response.statusCode();
      if (status == 401 || status == 403) {
        throw new RegistryException(
            RegistryException.Kind.UNAUTHORIZED,
            "unauthorized: "
                + endpoint.describe()
                + ": its token service refused "
                + (credentials.isPresent() ? "the credentials" : "anonymous access")
                + " for "
                + (scope.resources().isEmpty() ? "login" : scope.key()));
      }
      if (status >= 500 || status == 429) {
        throw new RegistryException(
            RegistryException.Kind.UNAVAILABLE,
            endpoint.describe() + ": its token service answered " + status);
      }
      if (status != 200) {
        throw new RegistryException(
            RegistryException.Kind.REJECTED,
            endpoint.describe() + ": its token service answered " + status);
      }
      byte[] bytes = body.readNBytes(MAX_REPLY + 1);
      if (bytes.length > MAX_REPLY) {
        throw invalid(endpoint, "its reply is larger than " + MAX_REPLY + " bytes");
      }
      return parse(endpoint, bytes);
    }
  }

  private Cached parse(RegistryEndpoint endpoint, byte[] bytes) throws RegistryException {
    JsonNode reply;
    try {
      reply = JSON.readTree(bytes);
    } catch (IOException e) {
      throw invalid(endpoint, "its reply is not JSON");
    }
    if (reply == null || !reply.isObject()) {
      throw invalid(endpoint, "its reply is not a JSON object");
    }
    JsonNode token = reply.path("token");
    if (!token.isTextual() || token.asText().isEmpty()) {
      token = reply.path("access_token");
    }
    if (!token.isTextual() || token.asText().isEmpty()) {
      throw invalid(endpoint, "its reply has neither \"token\" nor \"access_token\"");
    }
    String value = token.asText();
    if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw invalid(endpoint, "its token has characters a header cannot carry");
    }
    long seconds = reply.path("expires_in").asLong(MIN_EXPIRY_SECONDS);
    seconds = Math.max(MIN_EXPIRY_SECONDS, Math.min(seconds, Duration.ofDays(1).toSeconds()));
    // Renew a little early so that a token never expires between the check and its use.
    Instant expires = clock.instant().plusSeconds(seconds - Math.min(10, seconds / 4));
    return new Cached(value, expires);
  }

  private HttpResponse<InputStream> send(RegistryEndpoint endpoint, URI realm, HttpRequest request)
      throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while asking " + realm + " for a token");
    } catch (IOException e) {
      throw new RegistryException(
          RegistryException.Kind.UNAVAILABLE,
          endpoint.describe()
              + ": cannot reach its token service "
              + Texts.excerpt(realm.toString())
              + ": "
              + RegistryErrors.describe(e),
          e);
    }
  }

  private static URI realm(RegistryEndpoint endpoint, AuthChallenge challenge)
      throws RegistryException {
    String text =
        challenge
            .param("realm")
            .orElseThrow(() -> invalid(endpoint, "its Bearer challenge has no realm"));
    URI realm;
    try {
      realm = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw invalid(endpoint, "its token realm \"" + Texts.excerpt(text) + "\" is not a URL");
    }
    if (!"https".equals(realm.getScheme()) && !"http".equals(realm.getScheme())
        || realm.getHost() == null) {
      throw invalid(
          endpoint, "its token realm \"" + Texts.excerpt(text) + "\" is not an http(s) URL");
    }
    return realm;
  }

  private static RegistryException invalid(RegistryEndpoint endpoint, String problem) {
    return new RegistryException(
        RegistryException.Kind.INVALID_RESPONSE, endpoint.describe() + ": " + problem);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}

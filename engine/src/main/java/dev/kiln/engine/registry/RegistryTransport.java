package dev.kiln.engine.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Optional;

/**
 * Sends one registry request: with the {@code Authorization} header the registry's challenge calls
 * for (answering a 401 once), following redirects of GET and HEAD by hand so that credentials go
 * only to the registry's own origin (blob storage elsewhere gets none). Responses come back with
 * their body open, whatever their status; failures to get one become retryable {@link
 * RegistryException}s.
 */
final class RegistryTransport {
  private static final int MAX_REDIRECTS = 5;

  private final HttpClient http;
  private final RegistryAuth auth;
  private final RegistryErrors errors;

  RegistryTransport(HttpClient http, RegistryAuth auth, RegistryErrors errors) {
    this.http = http;
    this.auth = auth;
    this.errors = errors;
  }

  RegistryErrors errors() {
    return errors;
  }

  /**
   * Sends {@code request} (which must not carry credentials itself) to {@code endpoint}; {@code
   * name} is what errors call the target (repository, or reference).
   */
  HttpResponse<InputStream> send(
      RegistryEndpoint endpoint, Scope scope, String name, HttpRequest request) throws IOException {
    if (!sameOrigin(endpoint.base(), request.uri())) {
      // An upload session elsewhere (storage) gets no registry credentials.
      return followRedirects(endpoint, request, exchange(endpoint, request), Optional.empty());
    }
    Optional<String> header = auth.header(endpoint, scope, name);
    HttpResponse<InputStream> response = exchange(endpoint, withAuthorization(request, header));
    if (response.statusCode() == 401
        && auth.challenged(endpoint, scope, name, response.headers(), header)) {
      discard(response);
      header = auth.header(endpoint, scope, name);
      response = exchange(endpoint, withAuthorization(request, header));
    }
    return followRedirects(endpoint, request, response, header);
  }

  private HttpResponse<InputStream> followRedirects(
      RegistryEndpoint endpoint,
      HttpRequest original,
      HttpResponse<InputStream> response,
      Optional<String> header)
      throws IOException {
    String method = original.method();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return response;
    }
    for (int hops = 0; isRedirect(response.statusCode()); hops++) {
      Optional<String> location = response.headers().firstValue("Location");
      if (location.isEmpty()) {
        return response;
      }
      discard(response);
      if (hops == MAX_REDIRECTS) {
        throw RegistryErrors.invalid(
            endpoint, original.uri().getPath(), "more than " + MAX_REDIRECTS + " redirects");
      }
      URI target = resolve(endpoint, response.uri(), location.get());
      HttpRequest.Builder next =
          HttpRequest.newBuilder(original, (name, value) -> !name.equalsIgnoreCase("Authorization"))
              .uri(target);
      // Storage behind a redirect (S3, a CDN) has its own authorisation in the URL: the
      // registry's credentials stay with the registry's origin.
      if (sameOrigin(endpoint.base(), target)) {
        header.ifPresent(h -> next.header("Authorization", h));
      }
      response = exchange(endpoint, next.build());
    }
    return response;
  }

  private HttpResponse<InputStream> exchange(RegistryEndpoint endpoint, HttpRequest request)
      throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during a request to " + request.uri());
    } catch (IOException e) {
      throw errors.network(endpoint, request.uri(), e);
    }
  }

  private static HttpRequest withAuthorization(HttpRequest request, Optional<String> header) {
    if (header.isEmpty()) {
      return request;
    }
    return HttpRequest.newBuilder(request, (name, value) -> true)
        .setHeader("Authorization", header.get())
        .build();
  }

  static URI resolve(RegistryEndpoint endpoint, URI base, String location)
      throws RegistryException {
    URI target;
    try {
      target = base.resolve(new URI(location));
    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
      throw RegistryErrors.invalid(
          endpoint, base.getPath(), "bad Location header \"" + Texts.excerpt(location) + "\"");
    }
    String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || target.getHost() == null) {
      throw RegistryErrors.invalid(
          endpoint, base.getPath(), "Location \"" + Texts.excerpt(location) + "\" is not http(s)");
    }
    return target;
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI uri) {
    if (uri.getPort() >= 0) {
      return uri.getPort();
    }
    return uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** Closes a response body the caller will not read (the connection may then be reused). */
  static void discard(HttpResponse<InputStream> response) {
    try (InputStream body = response.body()) {
      body.readNBytes(64 * 1024);
    } catch (IOException e) {
      // Nothing to recover: the body was unwanted.
    }
  }
}

package dev.kiln.engine.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What every registry step shares: the transport, the hosts, the retry policy and the limits; and
 * the two loops around a step: retries, and mirrors tried before their registry.
 */
final class RegistryCalls {
  static final String USER_AGENT = "kiln/0.1";

  final RegistryTransport transport;
  final RegistryHosts hosts;
  final RetryPolicy retry;
  final RegistryClient.Limits limits;
  final Duration stallTimeout;
  private final Duration timeout;

  RegistryCalls(
      RegistryTransport transport,
      RegistryHosts hosts,
      RetryPolicy retry,
      RegistryClient.Limits limits,
      Duration timeout,
      Duration stallTimeout) {
    this.transport = transport;
    this.hosts = hosts;
    this.retry = retry;
    this.limits = limits;
    this.timeout = timeout;
    this.stallTimeout = stallTimeout;
  }

  /** A request to {@code path} ({@code /v2/...}) on {@code endpoint}. */
  HttpRequest.Builder request(RegistryEndpoint endpoint, String path) {
    return request(endpoint.resolve(path));
  }

  /** A request to {@code uri} (an upload session's Location). */
  HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri)
        .timeout(timeout)
        // h2c upgrades are not worth their round trip on plain HTTP; TLS negotiates HTTP/2 itself.
        .version(
            uri.getScheme().equalsIgnoreCase("http")
                ? HttpClient.Version.HTTP_1_1
                : HttpClient.Version.HTTP_2)
        .header("User-Agent", USER_AGENT);
  }

  HttpResponse<InputStream> send(
      RegistryEndpoint endpoint, Scope scope, String name, HttpRequest request) throws IOException {
    return transport.send(endpoint, scope, name, request);
  }

  RegistryErrors errors() {
    return transport.errors();
  }

  /** A step run against one endpoint. */
  @FunctionalInterface
  interface AtEndpoint<T> {
    T call(RegistryEndpoint endpoint) throws IOException;
  }

  /**
   * Runs {@code step} on the pull endpoints of {@code registry} in order (its mirrors, then the
   * registry), each with retries, until one succeeds; a mirror's failure is remembered and the next
   * endpoint tried.
   */
  <T> T pull(String registry, AtEndpoint<T> step) throws IOException {
    return pullWithoutRetries(registry, endpoint -> retry.run(() -> step.call(endpoint)));
  }

  /** As {@link #pull}, for a step that retries by itself. */
  <T> T pullWithoutRetries(String registry, AtEndpoint<T> step) throws IOException {
    List<RegistryException> mirrorFailures = new ArrayList<>();
    for (RegistryEndpoint endpoint : hosts.pullEndpoints(registry)) {
      try {
        return step.call(endpoint);
      } catch (RegistryException e) {
        if (!endpoint.mirror()) {
          mirrorFailures.forEach(e::addSuppressed);
          throw e;
        }
        mirrorFailures.add(e);
      }
    }
    throw new IllegalStateException("the registry itself is always the last endpoint");
  }

  /** Runs {@code step} on the registry itself (pushes never go to mirrors), with retries. */
  <T> T push(String registry, AtEndpoint<T> step) throws IOException {
    RegistryEndpoint endpoint = hosts.pushEndpoint(registry);
    return retry.run(() -> step.call(endpoint));
  }

  /** Throws the error for {@code response} unless its status is one of {@code expected}. */
  void expect(
      RegistryEndpoint endpoint,
      String name,
      String what,
      HttpResponse<InputStream> response,
      int... expected)
      throws RegistryException {
    for (int status : expected) {
      if (response.statusCode() == status) {
        return;
      }
    }
    throw errors().fromResponse(endpoint, name, what, response);
  }
}

package dev.kiln.engine.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Turns failed registry exchanges into {@link RegistryException}s that name the registry and
 * repository and say what to do, with the registry's own error code when it gave one.
 */
final class RegistryErrors {
  private static final int MAX_ERROR_BODY = 16 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String credentialsFile;

  /** {@code credentialsFile} is how messages name Docker's config file. */
  RegistryErrors(String credentialsFile) {
    this.credentialsFile = credentialsFile;
  }

  /** 401: who to log in to. */
  RegistryException unauthorized(RegistryEndpoint endpoint, String name) {
    String login = endpoint.mirror() ? endpoint.host() : endpoint.registry();
    return new RegistryException(
        RegistryException.Kind.UNAUTHORIZED,
        "unauthorized: "
            + name
            + (endpoint.mirror() ? " (at mirror " + endpoint.host() + ")" : "")
            + ": run kiln login "
            + login
            + " or check the credentials in "
            + credentialsFile);
  }

  /**
   * The error for a response whose status is not what the call expects. Reads (a bounded part of)
   * and closes its body.
   */
  RegistryException fromResponse(
      RegistryEndpoint endpoint, String name, String what, HttpResponse<InputStream> response) {
    int status = response.statusCode();
    String detail = registryMessage(response);
    switch (status) {
      case 401:
        return unauthorized(endpoint, name);
      case 403:
        return new RegistryException(
            RegistryException.Kind.DENIED,
            "denied: "
                + name
                + ": "
                + (endpoint.mirror() ? "mirror " + endpoint.host() : endpoint.registry())
                + " does not allow "
                + what
                + " with these credentials"
                + detail
                + "; check your access to the repository");
      case 404:
        return new RegistryException(
            RegistryException.Kind.NOT_FOUND,
            "not found: " + name + ": " + notFound(what) + detail);
      case 429:
        return new RegistryException(
            RegistryException.Kind.UNAVAILABLE,
            endpoint.describe() + " is limiting the request rate (429) for " + what + detail,
            retryAfter(response),
            null);
      default:
        if (status >= 500) {
          return new RegistryException(
              RegistryException.Kind.UNAVAILABLE,
              endpoint.describe()
                  + " failed "
                  + what
                  + " of "
                  + name
                  + " ("
                  + status
                  + ")"
                  + detail,
              retryAfter(response),
              null);
        }
        return new RegistryException(
            RegistryException.Kind.REJECTED,
            endpoint.describe()
                + " refused "
                + what
                + " of "
                + name
                + " ("
                + status
                + ")"
                + detail);
    }
  }

  /** A request that got no answer: worth retrying, except for TLS failures. */
  RegistryException network(RegistryEndpoint endpoint, URI uri, IOException e) {
    if (e instanceof SSLException) {
      return new RegistryException(
          RegistryException.Kind.REJECTED,
          endpoint.describe()
              + ": TLS with "
              + uri.getRawAuthority()
              + " failed ("
              + e.getMessage()
              + "); if it serves plain HTTP, mark it \"insecure\" in registries.json",
          e);
    }
    return new RegistryException(
        RegistryException.Kind.UNAVAILABLE,
        endpoint.describe() + ": no answer from " + uri.getRawAuthority() + ": " + describe(e),
        e);
  }

  /** A response that breaks the protocol. */
  static RegistryException invalid(RegistryEndpoint endpoint, String name, String problem) {
    return new RegistryException(
        RegistryException.Kind.INVALID_RESPONSE,
        endpoint.describe() + ": " + name + ": " + problem);
  }

  /** A network failure in words: the JDK's exceptions often carry no message. */
  static String describe(IOException e) {
    if (e instanceof HttpConnectTimeoutException) {
      return "connecting timed out";
    }
    if (e instanceof HttpTimeoutException) {
      return "no response in time";
    }
    if (e instanceof ConnectException) {
      if (e.getCause() instanceof UnresolvedAddressException) {
        return "unknown host";
      }
      return e.getMessage() == null ? "connection refused" : "cannot connect: " + e.getMessage();
    }
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
  }

  private static String notFound(String what) {
    if (what.startsWith("manifest")) {
      return "no such repository or tag";
    }
    if (what.startsWith("blob")) {
      return "no such blob in the repository";
    }
    return "no such repository";
  }

  /** The registry's explanation from its JSON error body, as {@code " (CODE: message)"}. */
  private static String registryMessage(HttpResponse<InputStream> response) {
    byte[] bytes;
    try (InputStream body = response.body()) {
      bytes = body == null ? new byte[0] : body.readNBytes(MAX_ERROR_BODY);
    } catch (IOException e) {
      return "";
    }
    try {
      JsonNode error = JSON.readTree(bytes).path("errors").path(0);
      String code = error.path("code").asText("");
      String message = error.path("message").asText("");
      if (code.isEmpty() && message.isEmpty()) {
        return "";
      }
      return " (" + Texts.excerpt(code + (message.isEmpty() ? "" : ": " + message)) + ")";
    } catch (IOException | RuntimeException e) {
      String text = new String(bytes, StandardCharsets.UTF_8).strip();
      return text.isEmpty() || text.length() > 200 ? "" : " (" + Texts.excerpt(text) + ")";
    }
  }

  private static Optional<Duration> retryAfter(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("Retry-After")
        .filter(v -> v.matches("\\d{1,6}"))
        .map(v -> Duration.ofSeconds(Long.parseLong(v)));
  }
}

package dev.kiln.engine.registry;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Decides the {@code Authorization} header of registry requests: none until a registry challenges;
 * then, remembering its challenge, Basic with the user's credentials or a bearer token for the
 * request's scope, sent up front on later requests.
 */
final class RegistryAuth {
  private final CredentialSource credentials;
  private final TokenAuthenticator tokens;
  private final RegistryErrors errors;
  private final ConcurrentMap<String, AuthChallenge> challenges = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Optional<Credentials>> known = new ConcurrentHashMap<>();

  RegistryAuth(CredentialSource credentials, TokenAuthenticator tokens, RegistryErrors errors) {
    this.credentials = credentials;
    this.tokens = tokens;
    this.errors = errors;
  }

  /** The header for a request to {@code endpoint} needing {@code scope}, if one is known. */
  Optional<String> header(RegistryEndpoint endpoint, Scope scope, String name) throws IOException {
    AuthChallenge challenge = challenges.get(endpoint.host());
    if (challenge == null) {
      return Optional.empty();
    }
    Optional<Credentials> user = credentialsFor(endpoint);
    if (challenge.scheme().equals("basic")) {
      return user.filter(c -> c.identityToken().isEmpty()).map(Credentials::basicHeader);
    }
    try {
      return Optional.of("Bearer " + tokens.token(endpoint, challenge, scope, user));
    } catch (RegistryException e) {
      if (e.kind() == RegistryException.Kind.UNAUTHORIZED) {
        throw errors.unauthorized(endpoint, name);
      }
      throw e;
    }
  }

  /**
   * Learns from a 401's challenges; true when a new attempt can authenticate differently (the
   * caller retries once), false when there is nothing else to try.
   */
  boolean challenged(
      RegistryEndpoint endpoint,
      Scope scope,
      String name,
      HttpHeaders headers,
      Optional<String> sent)
      throws IOException {
    AuthChallenge chosen = choose(endpoint, name, headers);
    challenges.put(endpoint.host(), chosen);
    try {
      if (sent.isPresent() && chosen.scheme().equals("bearer")) {
        // The registry refused a cached token (revoked, expired early, or too narrow): get a
        // fresh one; the caller tries only once more, so this cannot loop.
        tokens.forget(endpoint, chosen, scope, credentialsFor(endpoint));
      }
      Optional<String> next = header(endpoint, scope, name);
      return next.isPresent() && !next.equals(sent);
    } catch (IOException | RuntimeException e) {
      // A challenge that cannot be answered is not used for later requests up front.
      challenges.remove(endpoint.host(), chosen);
      throw e;
    }
  }

  private AuthChallenge choose(RegistryEndpoint endpoint, String name, HttpHeaders headers)
      throws RegistryException {
    List<AuthChallenge> offered = new ArrayList<>();
    for (String value : headers.allValues("WWW-Authenticate")) {
      try {
        offered.addAll(AuthChallenge.parse(value));
      } catch (IllegalArgumentException e) {
        throw RegistryErrors.invalid(
            endpoint,
            name,
            "malformed WWW-Authenticate header \""
                + Texts.excerpt(value)
                + "\": "
                + e.getMessage());
      }
    }
    for (String scheme : List.of("bearer", "basic")) {
      for (AuthChallenge challenge : offered) {
        if (challenge.scheme().equals(scheme)) {
          return challenge;
        }
      }
    }
    if (offered.isEmpty()) {
      throw errors.unauthorized(endpoint, name);
    }
    throw RegistryErrors.invalid(
        endpoint,
        name,
        "it asks for "
            + Texts.excerpt(offered.get(0).scheme())
            + " authentication; Kiln speaks Bearer and Basic");
  }

  private Optional<Credentials> credentialsFor(RegistryEndpoint endpoint) throws IOException {
    String key = endpoint.mirror() ? endpoint.host() : endpoint.registry();
    Optional<Credentials> cached = known.get(key);
    if (cached == null) {
      cached = credentials.find(key);
      known.put(key, cached);
    }
    return cached;
  }
}

package dev.kiln.engine.registry;

import java.net.URI;

/**
 * Where requests for one registry go: {@code base} is {@code https://registry-1.docker.io} for
 * docker.io, {@code http://127.0.0.1:5000} for a local one, or a mirror's address.
 */
public record RegistryEndpoint(String registry, URI base, boolean mirror) {
  public RegistryEndpoint {
    String scheme = base.getScheme();
    if (!"https".equals(scheme) && !"http".equals(scheme)) {
      throw new IllegalArgumentException("registry endpoint " + base + " is not http(s)");
    }
  }

  /** {@code host[:port]}, as credentials and tokens are keyed. */
  public String host() {
    return base.getRawAuthority();
  }

  public boolean plainHttp() {
    return base.getScheme().equals("http");
  }

  /** The absolute URI of {@code path} ({@code /v2/...}) on this endpoint. */
  public URI resolve(String path) {
    return URI.create(base.toString() + path);
  }

  /** How errors name it: the registry, and the mirror when one was used. */
  public String describe() {
    return mirror ? registry + " (mirror " + host() + ")" : registry;
  }
}

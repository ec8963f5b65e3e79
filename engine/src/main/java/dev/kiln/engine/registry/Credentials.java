package dev.kiln.engine.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * What a user authenticates to a registry with: a user name and password, or an identity token (an
 * OAuth2 refresh token, as {@code docker login} stores for some registries). Never printed.
 */
public record Credentials(String username, String password, Optional<String> identityToken) {
  public Credentials {
    if (username.indexOf(':') >= 0 && identityToken.isEmpty()) {
      throw new IllegalArgumentException("a registry user name cannot contain ':'");
    }
  }

  public static Credentials of(String username, String password) {
    return new Credentials(username, password, Optional.empty());
  }

  /** The value of an {@code Authorization: Basic} header. */
  public String basicHeader() {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Credentials[" + username + ", secret hidden]";
  }
}

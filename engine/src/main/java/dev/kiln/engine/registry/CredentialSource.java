package dev.kiln.engine.registry;

import java.io.IOException;
import java.util.Optional;

/** Where the registry client finds credentials for a registry ({@code docker.io}, host:port). */
@FunctionalInterface
public interface CredentialSource {
  Optional<Credentials> find(String registry) throws IOException;

  /** Anonymous access everywhere. */
  static CredentialSource none() {
    return registry -> Optional.empty();
  }
}

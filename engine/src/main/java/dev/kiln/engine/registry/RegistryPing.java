package dev.kiln.engine.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;

/** {@code GET /v2/}: checks that a registry speaks the protocol and accepts the credentials. */
final class RegistryPing {
  private final RegistryCalls calls;

  RegistryPing(RegistryCalls calls) {
    this.calls = calls;
  }

  void check(String registry) throws IOException {
    calls.push(
        registry,
        endpoint -> {
          HttpResponse<InputStream> response =
              calls.send(
                  endpoint, Scope.none(), registry, calls.request(endpoint, "/v2/").GET().build());
          calls.expect(endpoint, registry, "login", response, 200);
          RegistryTransport.discard(response);
          return null;
        });
  }
}

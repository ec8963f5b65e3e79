package dev.kiln.engine.registry;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;

/** {@code PUT /v2/<name>/manifests/<tag or digest>}: pushes a manifest or an index. */
final class ManifestPush {
  private final RegistryCalls calls;

  ManifestPush(RegistryCalls calls) {
    this.calls = calls;
  }

  Descriptor push(ImageReference reference, String mediaType, byte[] bytes) throws IOException {
    if (mediaType.isEmpty() || !mediaType.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "invalid manifest media type \"" + Texts.excerpt(mediaType) + "\"");
    }
    if (bytes.length > calls.limits.maxManifestBytes()) {
      throw new IllegalArgumentException(
          "manifest of "
              + bytes.length
              + " bytes is larger than the "
              + calls.limits.maxManifestBytes()
              + " registries accept");
    }
    Digest digest = Digest.sha256(bytes);
    if (reference.digest().isPresent() && !reference.digest().get().equals(digest)) {
      throw new IllegalArgumentException(
          "cannot push to " + reference + ": the manifest's digest is " + digest);
    }
    String name = reference.toString();
    dev.kiln.engine.fault.CrashPoint.reach(dev.kiln.engine.fault.CrashPoint.PUSH);
    return calls.push(
        reference.registry(),
        endpoint -> {
          HttpResponse<InputStream> response =
              calls.send(
                  endpoint,
                  Scope.push(reference.repository()),
                  name,
                  calls
                      .request(endpoint, ManifestFetch.path(reference))
                      .header("Content-Type", mediaType)
                      .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))
                      .build());
          calls.expect(endpoint, name, "manifest push", response, 201);
          RegistryTransport.discard(response);
          Optional<String> stored = response.headers().firstValue("Docker-Content-Digest");
          if (stored.isPresent() && !stored.get().strip().equals(digest.toString())) {
            throw RegistryErrors.invalid(
                endpoint,
                name,
                "the registry stored the manifest as "
                    + Texts.excerpt(stored.get())
                    + ", not "
                    + digest);
          }
          return new Descriptor(mediaType, digest, bytes.length, Map.of(), Optional.empty());
        });
  }
}

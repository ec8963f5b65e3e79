package dev.kiln.engine.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code HEAD} and {@code GET /v2/<name>/manifests/<reference>}: resolves a reference to its
 * manifest's descriptor and fetches manifests and indexes, bounded in size, their digest checked.
 */
final class ManifestFetch {
  /** Every manifest type Kiln reads, most specific first. */
  static final String ACCEPT =
      String.join(
          ", ",
          MediaTypes.OCI_INDEX,
          MediaTypes.OCI_MANIFEST,
          MediaTypes.DOCKER_LIST,
          MediaTypes.DOCKER_MANIFEST);

  private static final List<String> KNOWN =
      List.of(
          MediaTypes.OCI_INDEX,
          MediaTypes.OCI_MANIFEST,
          MediaTypes.DOCKER_LIST,
          MediaTypes.DOCKER_MANIFEST);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryCalls calls;

  ManifestFetch(RegistryCalls calls) {
    this.calls = calls;
  }

  /**
   * The descriptor of the manifest {@code reference} names (a HEAD; a GET when that says too
   * little).
   */
  Descriptor resolve(ImageReference reference) throws IOException {
    return calls.pull(reference.registry(), endpoint -> resolveAt(endpoint, reference));
  }

  /** The manifest {@code reference} names, by its digest when it has one. */
  Manifest fetch(ImageReference reference, Optional<Descriptor> expected) throws IOException {
    return calls.pull(reference.registry(), endpoint -> fetchAt(endpoint, reference, expected));
  }

  private Descriptor resolveAt(RegistryEndpoint endpoint, ImageReference reference)
      throws IOException {
    HttpRequest request =
        calls
            .request(endpoint, path(reference))
            .header("Accept", ACCEPT)
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<InputStream> response =
        calls.send(endpoint, Scope.pull(reference.repository()), reference.toString(), request);
    if (response.statusCode() == 405 || response.statusCode() == 501) {
      RegistryTransport.discard(response); // HEAD unsupported: fall back to GET
      return fetchAt(endpoint, reference, Optional.empty()).descriptor();
    }
    calls.expect(endpoint, reference.toString(), "manifest", response, 200);
    RegistryTransport.discard(response);
    Optional<Digest> digest =
        response.headers().firstValue("Docker-Content-Digest").flatMap(ManifestFetch::digest);
    Optional<String> mediaType = mediaType(response).filter(KNOWN::contains);
    long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (digest.isEmpty() || mediaType.isEmpty() || size < 0) {
      // The registry did not say enough to trust: fetch the manifest and see.
      return fetchAt(endpoint, reference, Optional.empty()).descriptor();
    }
    if (reference.digest().isPresent() && !reference.digest().equals(digest)) {
      throw RegistryErrors.invalid(
          endpoint,
          reference.toString(),
          "the registry answers with manifest " + digest.get() + " for another digest");
    }
    if (size > calls.limits.maxManifestBytes()) {
      throw tooLarge(endpoint, reference, size);
    }
    return new Descriptor(mediaType.get(), digest.get(), size, Map.of(), Optional.empty());
  }

  private Manifest fetchAt(
      RegistryEndpoint endpoint, ImageReference reference, Optional<Descriptor> expected)
      throws IOException {
    ImageReference target =
        expected.isPresent() ? reference.withDigest(expected.get().digest()) : reference;
    HttpRequest request =
        calls.request(endpoint, path(target)).header("Accept", ACCEPT).GET().build();
    String name = target.toString();
    HttpResponse<InputStream> response =
        calls.send(endpoint, Scope.pull(reference.repository()), name, request);
    calls.expect(endpoint, name, "manifest", response, 200);
    long max = calls.limits.maxManifestBytes();
    byte[] bytes;
    try (InputStream body =
        new NetworkInput(response.body(), endpoint, calls.stallTimeout, max + 1)) {
      long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > max) {
        throw tooLarge(endpoint, target, declared);
      }
      bytes = body.readNBytes((int) max + 1);
    }
    if (bytes.length > max) {
      throw tooLarge(endpoint, target, bytes.length);
    }
    Digest actual = Digest.sha256(bytes);
    Optional<Digest> wanted = target.digest();
    if (wanted.isPresent() && !wanted.get().equals(actual)) {
      throw RegistryErrors.invalid(
          endpoint, name, "digest mismatch: the manifest served has digest " + actual);
    }
    Optional<Digest> announced =
        response.headers().firstValue("Docker-Content-Digest").flatMap(ManifestFetch::digest);
    if (wanted.isEmpty() && announced.isPresent() && !announced.get().equals(actual)) {
      throw RegistryErrors.invalid(
          endpoint,
          name,
          "digest mismatch: Docker-Content-Digest says "
              + announced.get()
              + ", the manifest served has "
              + actual);
    }
    if (expected.isPresent() && expected.get().size() != bytes.length) {
      throw RegistryErrors.invalid(
          endpoint,
          name,
          "the manifest is "
              + bytes.length
              + " bytes, its descriptor says "
              + expected.get().size());
    }
    JsonNode json;
    try {
      json = JSON.readTree(bytes);
    } catch (IOException e) {
      throw RegistryErrors.invalid(endpoint, name, "the manifest is not valid JSON");
    }
    if (json == null || !json.isObject()) {
      throw RegistryErrors.invalid(endpoint, name, "the manifest is not a JSON object");
    }
    String mediaType = mediaType(endpoint, name, response, json);
    return new Manifest(
        new Descriptor(mediaType, actual, bytes.length, Map.of(), Optional.empty()), bytes);
  }

  /** The manifest's type: from Content-Type, else its own mediaType, else what it holds. */
  private static String mediaType(
      RegistryEndpoint endpoint, String name, HttpResponse<?> response, JsonNode json)
      throws RegistryException {
    if (json.path("schemaVersion").asInt(2) == 1
        || mediaType(response).filter(t -> t.contains("distribution.manifest.v1")).isPresent()) {
      throw RegistryErrors.invalid(
          endpoint,
          name,
          "the image has a Docker schema 1 manifest, which Kiln does not read; push it again"
              + " with a current client");
    }
    Optional<String> declared = mediaType(response).filter(KNOWN::contains);
    if (declared.isPresent()) {
      return declared.get();
    }
    String own = json.path("mediaType").asText("");
    if (KNOWN.contains(own)) {
      return own;
    }
    if (!own.isEmpty()) {
      throw RegistryErrors.invalid(
          endpoint, name, "unsupported manifest media type \"" + Texts.excerpt(own) + "\"");
    }
    // OCI allows manifests without mediaType; their content says which they are.
    return json.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
  }

  private static Optional<String> mediaType(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("Content-Type")
        .map(t -> t.split(";", 2)[0].strip().toLowerCase(Locale.ROOT));
  }

  private static Optional<Digest> digest(String text) {
    try {
      return Optional.of(Digest.parse(text.strip()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private RegistryException tooLarge(
      RegistryEndpoint endpoint, ImageReference reference, long size) {
    return RegistryErrors.invalid(
        endpoint,
        reference.toString(),
        "the manifest is "
            + size
            + " bytes, more than the "
            + calls.limits.maxManifestBytes()
            + " Kiln accepts");
  }

  static String path(ImageReference reference) {
    return "/v2/" + reference.repository() + "/manifests/" + reference.manifestReference();
  }
}

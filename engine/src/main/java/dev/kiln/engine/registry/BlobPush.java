package dev.kiln.engine.registry;

import dev.kiln.engine.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Pushes a blob to a repository: nothing when the registry has it (HEAD), a cross-repository mount
 * when the caller knows another repository of the registry holds it, else an upload, monolithic
 * ({@code POST} then one {@code PUT ?digest=}) for small blobs and in {@code PATCH} chunks for big
 * ones. A failed attempt starts over with a new upload session.
 */
final class BlobPush {
  private final RegistryCalls calls;

  BlobPush(RegistryCalls calls) {
    this.calls = calls;
  }

  BlobPushResult push(
      ImageReference repository, Descriptor blob, BlobSource source, Optional<String> mountFrom)
      throws IOException {
    String repo = repository.repository();
    Scope scope = mountFrom.map(from -> Scope.push(repo).plusPull(from)).orElse(Scope.push(repo));
    String name = repository.name() + "@" + blob.digest();
    return calls.push(
        repository.registry(),
        endpoint -> {
          if (exists(endpoint, repo, blob, scope, name)) {
            return BlobPushResult.ALREADY_PRESENT;
          }
          String query =
              mountFrom.map(from -> "?mount=" + blob.digest() + "&from=" + encode(from)).orElse("");
          HttpResponse<InputStream> started =
              calls.send(
                  endpoint,
                  scope,
                  name,
                  calls
                      .request(endpoint, "/v2/" + repo + "/blobs/uploads/" + query)
                      .POST(HttpRequest.BodyPublishers.noBody())
                      .build());
          if (mountFrom.isPresent() && started.statusCode() == 201) {
            RegistryTransport.discard(started);
            return BlobPushResult.MOUNTED;
          }
          // A 202 to a mount request is an ordinary upload session: the mount was not possible.
          calls.expect(endpoint, name, "blob upload", started, 202);
          RegistryTransport.discard(started);
          URI session = location(endpoint, name, started);
          if (blob.size() <= calls.limits.monolithicUploadBytes()) {
            finish(endpoint, scope, name, blob, session, body(source, 0, blob.size()));
          } else {
            finish(
                endpoint,
                scope,
                name,
                blob,
                uploadChunks(endpoint, scope, name, blob, source, session),
                HttpRequest.BodyPublishers.noBody());
          }
          return BlobPushResult.UPLOADED;
        });
  }

  private boolean exists(
      RegistryEndpoint endpoint, String repo, Descriptor blob, Scope scope, String name)
      throws IOException {
    HttpResponse<InputStream> response =
        calls.send(
            endpoint,
            scope,
            name,
            calls
                .request(endpoint, "/v2/" + repo + "/blobs/" + blob.digest())
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    if (response.statusCode() == 404) {
      RegistryTransport.discard(response);
      return false;
    }
    calls.expect(endpoint, name, "blob check", response, 200);
    RegistryTransport.discard(response);
    return true;
  }

  /** PATCHes the blob in chunks; returns the session URL for the closing PUT. */
  private URI uploadChunks(
      RegistryEndpoint endpoint,
      Scope scope,
      String name,
      Descriptor blob,
      BlobSource source,
      URI session)
      throws IOException {
    long chunk = calls.limits.chunkBytes();
    URI next = session;
    for (long offset = 0; offset < blob.size(); offset += chunk) {
      long length = Math.min(chunk, blob.size() - offset);
      long last = offset + length - 1;
      HttpResponse<InputStream> response =
          calls.send(
              endpoint,
              scope,
              name,
              calls
                  .request(next)
                  .header("Content-Type", "application/octet-stream")
                  .header("Content-Range", offset + "-" + last)
                  .method("PATCH", body(source, offset, length))
                  .build());
      calls.expect(endpoint, name, "blob upload", response, 202);
      RegistryTransport.discard(response);
      Optional<String> range = response.headers().firstValue("Range");
      if (range.isPresent() && !range.get().strip().equals("0-" + last)) {
        throw RegistryErrors.invalid(
            endpoint,
            name,
            "after bytes 0-" + last + " the upload holds \"" + Texts.excerpt(range.get()) + "\"");
      }
      next = location(endpoint, name, response);
    }
    return next;
  }

  private void finish(
      RegistryEndpoint endpoint,
      Scope scope,
      String name,
      Descriptor blob,
      URI session,
      HttpRequest.BodyPublisher body)
      throws IOException {
    String separator = session.getRawQuery() == null ? "?" : "&";
    URI target = URI.create(session + separator + "digest=" + encode(blob.digest().toString()));
    HttpResponse<InputStream> response =
        calls.send(
            endpoint,
            scope,
            name,
            calls
                .request(target)
                .header("Content-Type", "application/octet-stream")
                .PUT(body)
                .build());
    calls.expect(endpoint, name, "blob upload", response, 201);
    RegistryTransport.discard(response);
    Optional<String> stored = response.headers().firstValue("Docker-Content-Digest");
    if (stored.isPresent() && !stored.get().strip().equals(blob.digest().toString())) {
      throw RegistryErrors.invalid(
          endpoint, name, "the registry stored the upload as " + Texts.excerpt(stored.get()));
    }
  }

  /** The next URL of an upload session (Location, relative or absolute). */
  private static URI location(
      RegistryEndpoint endpoint, String name, HttpResponse<InputStream> response)
      throws RegistryException {
    String location =
        response
            .headers()
            .firstValue("Location")
            .orElseThrow(
                () -> RegistryErrors.invalid(endpoint, name, "an upload answer without Location"));
    return RegistryTransport.resolve(endpoint, response.uri(), location);
  }

  /** {@code length} bytes of the blob from {@code offset}, re-readable for a repeated request. */
  private static HttpRequest.BodyPublisher body(BlobSource source, long offset, long length) {
    return HttpRequest.BodyPublishers.fromPublisher(
        HttpRequest.BodyPublishers.ofInputStream(
            () -> {
              try {
                return new BoundedInput(source.open(offset), length);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }),
        length);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}

package dev.kiln.engine.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.AtomicFile;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * Downloads {@code http(s)://} files (ADD URL): the body goes into the content store, checked
 * against the expected checksum when one is given, then becomes a one-file layer ({@code
 * /FILENAME}, mode 0600 and the server's Last-Modified time, as BuildKit does). The ETag of each
 * download is remembered ({@code ROOT/http/<sha256 of URL>.json}), so the next fetch of the URL
 * asks {@code If-None-Match} and a {@code 304} reuses the stored body instead of downloading it.
 */
public final class HttpSource {
  /** A download in the content store, and the time the server says it was modified. */
  public record Download(Digest digest, Optional<FileTime> lastModified) {}

  private static final long MAX_BYTES = 16L * 1024 * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ContentStore store;
  private final Snapshotter snapshotter;
  // Made on the first download: a client's TLS set-up costs every engine start ~0.15 s otherwise.
  private HttpClient client;

  private final Path validators;

  public HttpSource(ContentStore store, Snapshotter snapshotter, Path root) throws IOException {
    this.store = store;
    this.snapshotter = snapshotter;
    this.validators = Files.createDirectories(root.resolve("http"));
  }

  /** What the last download of a URL was: its ETag, where its body is, when it was modified. */
  private record Validator(String etag, Digest digest, Optional<FileTime> lastModified) {}

  private synchronized HttpClient client() {
    if (client == null) {
      client =
          HttpClient.newBuilder()
              .followRedirects(HttpClient.Redirect.NORMAL)
              .connectTimeout(Duration.ofSeconds(30))
              .build();
    }
    return client;
  }

  public Download fetch(String url, Optional<Digest> checksum) throws IOException {
    Optional<Validator> known = validator(url).filter(v -> store.has(v.digest()));
    HttpRequest request;
    try {
      HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).GET();
      known.ifPresent(v -> builder.header("If-None-Match", v.etag()));
      request = builder.build();
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid URL " + url + ": " + e.getMessage(), e);
    }
    HttpResponse<InputStream> response;
    try {
      response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("GET " + url + ": interrupted", e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() == 304 && known.isPresent()) {
        Validator v = known.get();
        if (checksum.isPresent() && !checksum.get().equals(v.digest())) {
          throw new IOException(
              "GET "
                  + url
                  + ": the unchanged body has digest "
                  + v.digest()
                  + ", not "
                  + checksum.get());
        }
        return new Download(v.digest(), v.lastModified());
      }
      if (response.statusCode() != 200) {
        throw new IOException("GET " + url + ": HTTP " + response.statusCode());
      }
      Digest digest;
      try {
        digest = store.ingest(body, checksum, MAX_BYTES);
      } catch (IOException e) {
        throw new IOException("GET " + url + ": " + e.getMessage(), e);
      }
      Optional<FileTime> modified = lastModified(response);
      Optional<String> etag = response.headers().firstValue("ETag");
      if (etag.isPresent() && etag.get().length() <= 1024) {
        remember(url, new Validator(etag.get(), digest, modified));
      }
      return new Download(digest, modified);
    }
  }

  private Path validatorFile(String url) {
    return validators.resolve(Digest.sha256(url).hex() + ".json");
  }

  /** The saved validator of {@code url}; none when absent or damaged (costs a full download). */
  private Optional<Validator> validator(String url) {
    try {
      Path file = validatorFile(url);
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      JsonNode json = JSON.readTree(Files.readAllBytes(file));
      if (!url.equals(json.path("url").asText())) {
        return Optional.empty();
      }
      Optional<FileTime> modified =
          json.hasNonNull("lastModified")
              ? Optional.of(FileTime.fromMillis(json.get("lastModified").asLong()))
              : Optional.empty();
      return Optional.of(
          new Validator(
              json.path("etag").asText(), Digest.parse(json.path("digest").asText()), modified));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private void remember(String url, Validator v) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    json.put("url", url);
    json.put("etag", v.etag());
    json.put("digest", v.digest().toString());
    v.lastModified().ifPresent(t -> json.put("lastModified", t.toMillis()));
    AtomicFile.write(validatorFile(url), JSON.writeValueAsBytes(json), true);
  }

  /** A layer holding the download as {@code /filename}. */
  public Snapshot snapshot(Download download, String filename) throws IOException {
    ActiveLayer active = snapshotter.prepare();
    try {
      Path file = active.upper().resolve(filename);
      try (InputStream in = store.open(download.digest())) {
        Files.copy(in, file);
      }
      Files.setAttribute(file, "unix:mode", 0600);
      if (download.lastModified().isPresent()) {
        Files.setLastModifiedTime(file, download.lastModified().get());
      }
      return Snapshot.SCRATCH.plus(snapshotter.commit(active));
    } catch (IOException | RuntimeException e) {
      snapshotter.discard(active);
      throw e;
    }
  }

  private static Optional<FileTime> lastModified(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("Last-Modified")
        .flatMap(
            value -> {
              try {
                return Optional.of(
                    FileTime.from(
                        ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
                            .toInstant()));
              } catch (RuntimeException e) {
                return Optional.empty();
              }
            });
  }
}

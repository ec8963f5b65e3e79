package dev.kiln.engine.source;

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
 * /FILENAME}, mode 0600 and the server's Last-Modified time, as BuildKit does).
 */
public final class HttpSource {
  /** A download in the content store, and the time the server says it was modified. */
  public record Download(Digest digest, Optional<FileTime> lastModified) {}

  private static final long MAX_BYTES = 16L * 1024 * 1024 * 1024;
  private final ContentStore store;
  private final Snapshotter snapshotter;
  private final HttpClient client =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NORMAL)
          .connectTimeout(Duration.ofSeconds(30))
          .build();

  public HttpSource(ContentStore store, Snapshotter snapshotter) {
    this.store = store;
    this.snapshotter = snapshotter;
  }

  public Download fetch(String url, Optional<Digest> checksum) throws IOException {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(URI.create(url)).GET().build();
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid URL " + url + ": " + e.getMessage(), e);
    }
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("GET " + url + ": interrupted", e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("GET " + url + ": HTTP " + response.statusCode());
      }
      Digest digest;
      try {
        digest = store.ingest(body, checksum, MAX_BYTES);
      } catch (IOException e) {
        throw new IOException("GET " + url + ": " + e.getMessage(), e);
      }
      return new Download(digest, lastModified(response));
    }
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

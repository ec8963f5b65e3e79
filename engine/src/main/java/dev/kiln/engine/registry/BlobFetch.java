package dev.kiln.engine.registry;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.content.ResumableIngest;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /v2/<name>/blobs/<digest>} into the content store: once per blob however many threads
 * ask at the same time, its size and digest verified, and continued with a {@code Range} request
 * from where an interrupted download stopped.
 */
final class BlobFetch {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private record Key(ContentStore store, Digest digest) {}

  private final RegistryCalls calls;
  private final ConcurrentMap<Key, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

  BlobFetch(RegistryCalls calls) {
    this.calls = calls;
  }

  /** Makes {@code blob} of {@code repository} present in {@code store}. */
  void fetch(ImageReference repository, Descriptor blob, ContentStore store) throws IOException {
    if (store.has(blob.digest())) {
      return;
    }
    Key key = new Key(store, blob.digest());
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      await(running);
      return;
    }
    try {
      download(repository, blob, store);
      mine.complete(null);
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  private void download(ImageReference repository, Descriptor blob, ContentStore store)
      throws IOException {
    try (ResumableIngest ingest = store.resume(blob.digest(), blob.size())) {
      if (ingest.complete()) {
        return;
      }
      // Retries live in downloadFrom, which counts only attempts that made no progress.
      calls.pullWithoutRetries(
          repository.registry(),
          endpoint -> {
            downloadFrom(endpoint, repository, blob, ingest);
            return null;
          });
    }
  }

  /**
   * Downloads the rest of the blob from one endpoint, resuming after each broken transfer; gives up
   * after the retry policy's attempts in a row without progress.
   */
  private void downloadFrom(
      RegistryEndpoint endpoint, ImageReference repository, Descriptor blob, ResumableIngest ingest)
      throws IOException {
    String name = repository.name() + "@" + blob.digest();
    int failures = 0;
    boolean restartedAfterMismatch = false;
    while (true) {
      long start = ingest.offset();
      try {
        transfer(endpoint, repository, blob, ingest, name);
        try {
          ingest.commit();
          return;
        } catch (IOException mismatch) {
          if (start > 0 && !restartedAfterMismatch) {
            // What an earlier attempt left may have been wrong: once more, from the start.
            restartedAfterMismatch = true;
            continue;
          }
          throw RegistryErrors.invalid(endpoint, name, mismatch.getMessage());
        }
      } catch (RegistryException e) {
        if (!e.retryable()) {
          throw e;
        }
        if (ingest.offset() > start) {
          failures = 0; // it moved on before it broke: resume at once
          continue;
        }
        failures++;
        if (failures >= calls.retry.attempts()) {
          throw e;
        }
        calls.retry.pause(failures, e.retryAfter());
      }
    }
  }

  /** One GET, from the ingest's offset; appends what arrives until the stream ends or breaks. */
  private void transfer(
      RegistryEndpoint endpoint,
      ImageReference repository,
      Descriptor blob,
      ResumableIngest ingest,
      String name)
      throws IOException {
    long offset = ingest.offset();
    if (offset == blob.size()) {
      return; // all there: only the commit is left
    }
    HttpRequest.Builder request =
        calls.request(endpoint, "/v2/" + repository.repository() + "/blobs/" + blob.digest());
    if (offset > 0) {
      request.header("Range", "bytes=" + offset + "-");
    }
    HttpResponse<InputStream> response =
        calls.send(endpoint, Scope.pull(repository.repository()), name, request.GET().build());
    int status = response.statusCode();
    if (status == 416 && offset > 0) {
      RegistryTransport.discard(response);
      ingest.restart();
      throw retryAfterRestart(endpoint, name, "refused to resume at byte " + offset);
    }
    calls.expect(endpoint, name, "blob download", response, 200, 206);
    if (status == 206) {
      long from = rangeStart(endpoint, name, response);
      if (from != offset) {
        RegistryTransport.discard(response);
        ingest.restart();
        throw retryAfterRestart(endpoint, name, "resumed at byte " + from + ", not " + offset);
      }
    } else {
      if (offset > 0) {
        ingest.restart(); // the registry ignored the Range: the whole blob is coming
      }
      long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared >= 0 && declared != blob.size()) {
        RegistryTransport.discard(response);
        throw RegistryErrors.invalid(
            endpoint,
            name,
            "the registry serves " + declared + " bytes, the descriptor says " + blob.size());
      }
    }
    try (InputStream body =
        new NetworkInput(
            response.body(), endpoint, calls.stallTimeout, blob.size() - ingest.offset())) {
      ingest.append(body);
    }
    if (ingest.offset() < blob.size()) {
      throw new RegistryException(
          RegistryException.Kind.UNAVAILABLE,
          endpoint.describe()
              + ": "
              + name
              + ": the download stopped after "
              + ingest.offset()
              + " of "
              + blob.size()
              + " bytes");
    }
  }

  private static long rangeStart(
      RegistryEndpoint endpoint, String name, HttpResponse<InputStream> response)
      throws RegistryException {
    String header = response.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(header.strip());
    if (!m.matches() || m.group(1).length() > 18) {
      RegistryTransport.discard(response);
      throw RegistryErrors.invalid(
          endpoint, name, "a 206 answer with Content-Range \"" + Texts.excerpt(header) + "\"");
    }
    return Long.parseLong(m.group(1));
  }

  private static RegistryException retryAfterRestart(
      RegistryEndpoint endpoint, String name, String problem) {
    return new RegistryException(
        RegistryException.Kind.UNAVAILABLE,
        endpoint.describe() + ": " + name + ": the registry " + problem + "; starting over");
  }

  private static void await(CompletableFuture<Void> running) throws IOException {
    try {
      running.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RegistryException r) {
        throw new RegistryException(r.kind(), r.getMessage(), r);
      }
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw e;
    }
  }
}

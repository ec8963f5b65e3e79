package dev.kiln.engine.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpSourceTest {
  @TempDir Path root;
  private HttpServer server;
  private final AtomicReference<String> body = new AtomicReference<>("v1\n");
  private final AtomicInteger bodiesSent = new AtomicInteger();
  private String url;

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/file.txt",
        exchange -> {
          String current = body.get();
          String etag = "\"" + Digest.sha256(current).hex().substring(0, 12) + "\"";
          exchange.getResponseHeaders().add("ETag", etag);
          if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
            exchange.sendResponseHeaders(304, -1);
          } else {
            byte[] bytes = current.getBytes(StandardCharsets.UTF_8);
            bodiesSent.incrementAndGet();
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(bytes);
            }
          }
          exchange.close();
        });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort() + "/file.txt";
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpSource source() throws IOException {
    return new HttpSource(new ContentStore(root), new Snapshotter(root), root);
  }

  @Test
  void anUnchangedFileIsNotDownloadedAgainEvenByANewProcess() throws IOException {
    Digest first = source().fetch(url, Optional.empty()).digest();
    Digest again = source().fetch(url, Optional.empty()).digest();
    assertEquals(first, again);
    assertEquals(1, bodiesSent.get(), "the unchanged body was sent twice");

    body.set("v2\n");
    Digest changed = source().fetch(url, Optional.empty()).digest();
    assertNotEquals(first, changed);
    assertEquals(2, bodiesSent.get());
  }

  @Test
  void aDamagedValidatorCostsOnlyADownload() throws IOException {
    source().fetch(url, Optional.empty());
    try (var files = Files.list(root.resolve("http"))) {
      for (Path file : files.toList()) {
        Files.writeString(file, "{garbage");
      }
    }
    assertEquals(Digest.sha256("v1\n"), source().fetch(url, Optional.empty()).digest());
    assertEquals(2, bodiesSent.get());
  }
}

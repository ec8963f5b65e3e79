package dev.kiln.engine.testing;

import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real registry for tests: Debian's {@code /usr/bin/docker-registry serve CONFIG} as a
 * subprocess, on 127.0.0.1 and a free port, storing in a temp directory, without auth or with
 * htpasswd (Basic) auth. Its log is kept for failure messages. Close it to stop it.
 *
 * <pre>{@code
 * static RegistryServer registry;
 * @BeforeAll static void start() throws Exception { registry = RegistryServer.start(); }
 * @AfterAll static void stop() throws Exception { registry.close(); }
 * ... "127.0.0.1:" + registry.port() + "/app:1" or registry.host() + "/app:1"
 * }</pre>
 */
public final class RegistryServer implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/docker-registry");
  private static final Duration READY_DEADLINE = Duration.ofSeconds(30);
  private static final int PORT_ATTEMPTS = 3;

  private final Process process;
  private final Path dir;
  private final Path log;
  private final int port;

  private RegistryServer(Process process, Path dir, Path log, int port) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.port = port;
  }

  /** Whether the registry binary is installed (scripts/install-deps.sh installs it). */
  public static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /** A registry that lets anyone pull and push. */
  public static RegistryServer start() throws IOException {
    return start(Map.of());
  }

  /**
   * A registry that demands Basic auth from these users (name to password), checked against an
   * htpasswd file made with {@code htpasswd -Bbn}. No users means no auth.
   */
  public static RegistryServer start(Map<String, String> users) throws IOException {
    if (!available()) {
      throw new IOException(BINARY + " is missing: run scripts/install-deps.sh");
    }
    Path dir = Files.createTempDirectory("kiln-registry-");
    try {
      Path htpasswd = null;
      if (!users.isEmpty()) {
        htpasswd = dir.resolve("htpasswd");
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<String, String> user : new LinkedHashMap<>(users).entrySet()) {
          lines.append(htpasswdLine(user.getKey(), user.getValue())).append('\n');
        }
        Files.writeString(htpasswd, lines);
      }
      IOException last = null;
      for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
        // The port is free when chosen; another process may take it before the registry binds
        // it, which the registry reports by exiting: then try another.
        int port = freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, config(dir.resolve("storage"), port, htpasswd));
        Path log = dir.resolve("registry.log");
        Process process =
            new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        RegistryServer server = new RegistryServer(process, dir, log, port);
        try {
          server.awaitReady();
          return server;
        } catch (IOException e) {
          server.stop();
          last = e;
        }
      }
      throw last;
    } catch (IOException | RuntimeException e) {
      FileTrees.deleteRecursively(dir);
      throw e;
    }
  }

  /** {@code 127.0.0.1:PORT}: the registry part of references to it. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public URI uri() {
    return URI.create("http://" + host());
  }

  /** Where the registry stores its data. */
  public Path storage() {
    return dir.resolve("storage");
  }

  /** The registry's log so far, for failure messages. */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws IOException {
    stop();
    FileTrees.deleteRecursively(dir);
  }

  private void stop() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Polls {@code GET /v2/} until it answers (200, or 401 with auth), within a deadline. */
  private void awaitReady() throws IOException {
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    Instant deadline = Instant.now().plus(READY_DEADLINE);
    HttpRequest ping =
        HttpRequest.newBuilder(uri().resolve("/v2/")).timeout(Duration.ofSeconds(2)).build();
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IOException(
            "docker-registry exited with " + process.exitValue() + " before serving:\n" + log());
      }
      try {
        int status = http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the registry", e);
      }
      try {
        Thread.sleep(20); // a readiness poll, bounded by the deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the registry", e);
      }
    }
    throw new IOException(
        "docker-registry did not answer on " + uri() + " within " + READY_DEADLINE + ":\n" + log());
  }

  private static String config(Path storage, int port, Path htpasswd) {
    List<String> lines = new ArrayList<>();
    lines.add("version: 0.1");
    lines.add("log:");
    lines.add("  level: info");
    lines.add("  accesslog:");
    lines.add("    disabled: true");
    lines.add("storage:");
    lines.add("  filesystem:");
    lines.add("    rootdirectory: " + storage);
    lines.add("  delete:");
    lines.add("    enabled: true");
    lines.add("http:");
    lines.add("  addr: 127.0.0.1:" + port);
    lines.add("  secret: kiln-test-secret");
    if (htpasswd != null) {
      lines.add("auth:");
      lines.add("  htpasswd:");
      lines.add("    realm: kiln-test");
      lines.add("    path: " + htpasswd);
    }
    return String.join("\n", lines) + "\n";
  }

  private static String htpasswdLine(String user, String password) throws IOException {
    Process process =
        new ProcessBuilder("htpasswd", "-Bbn", user, password).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (process.waitFor() != 0) {
        throw new IOException("htpasswd failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running htpasswd", e);
    }
    return output.strip();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

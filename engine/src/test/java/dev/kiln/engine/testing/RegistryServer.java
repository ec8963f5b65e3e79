package dev.kiln.engine.testing;

import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

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
  private final Optional<Path> certificate;
  private final Path storage;

  private RegistryServer(
      Process process, Path dir, Path log, int port, Optional<Path> certificate, Path storage) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.port = port;
    this.certificate = certificate;
    this.storage = storage;
  }

  /** How to start one: users for Basic auth, TLS, storage shared with another instance. */
  public static final class Builder {
    private Map<String, String> users = Map.of();
    private boolean tls;
    private Optional<Path> storage = Optional.empty();

    private Builder() {}

    /** Demand Basic auth from these users (name to password). */
    public Builder users(Map<String, String> value) {
      users = Map.copyOf(value);
      return this;
    }

    /**
     * Serve HTTPS (HTTP/2 and HTTP/1.1) with a self-signed certificate for 127.0.0.1, made with
     * openssl; {@link #sslContext()} trusts it. The access log then records each request's
     * protocol.
     */
    public Builder tls() {
      tls = true;
      return this;
    }

    /** Store in {@code dir} (another instance's {@link #storage()}) instead of a new directory. */
    public Builder storage(Path dir) {
      storage = Optional.of(dir);
      return this;
    }

    public RegistryServer start() throws IOException {
      return RegistryServer.start(this);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether the registry binary is installed (scripts/install-deps.sh installs it). */
  public static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /** A registry that lets anyone pull and push. */
  public static RegistryServer start() throws IOException {
    return builder().start();
  }

  /**
   * A registry that demands Basic auth from these users (name to password), checked against an
   * htpasswd file made with {@code htpasswd -Bbn}. No users means no auth.
   */
  public static RegistryServer start(Map<String, String> users) throws IOException {
    return builder().users(users).start();
  }

  private static RegistryServer start(Builder options) throws IOException {
    Map<String, String> users = options.users;
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
      Optional<Path> certificate = Optional.empty();
      Optional<Path> key = Optional.empty();
      if (options.tls) {
        certificate = Optional.of(dir.resolve("cert.pem"));
        key = Optional.of(dir.resolve("key.pem"));
        selfSignedCertificate(certificate.get(), key.get());
      }
      Path storage = options.storage.orElse(dir.resolve("storage"));
      IOException last = null;
      for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
        // The port is free when chosen; another process may take it before the registry binds
        // it, which the registry reports by exiting: then try another.
        int port = freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, config(storage, port, htpasswd, certificate, key));
        Path log = dir.resolve("registry.log");
        Process process =
            new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        // A test JVM that ends without closing the server does not leave the registry running.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        RegistryServer server = new RegistryServer(process, dir, log, port, certificate, storage);
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

  /** {@code http://127.0.0.1:PORT}, or https with TLS. */
  public URI uri() {
    return URI.create((certificate.isPresent() ? "https://" : "http://") + host());
  }

  /** Where the registry stores its data. */
  public Path storage() {
    return storage;
  }

  /** A TLS context that trusts this registry's certificate (TLS only). */
  public SSLContext sslContext() throws IOException {
    Path pem = certificate.orElseThrow(() -> new IllegalStateException("not a TLS registry"));
    try (InputStream in = Files.newInputStream(pem)) {
      Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("registry", cert);
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust " + pem + ": " + e.getMessage(), e);
    }
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
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2));
    if (certificate.isPresent()) {
      builder.sslContext(sslContext());
    }
    HttpClient http = builder.build();
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

  private static String config(
      Path storage, int port, Path htpasswd, Optional<Path> certificate, Optional<Path> key) {
    List<String> lines = new ArrayList<>();
    lines.add("version: 0.1");
    lines.add("log:");
    lines.add("  level: info");
    lines.add("  accesslog:");
    // With TLS the access log is how tests see which protocol (HTTP/2.0 or 1.1) a request used.
    lines.add("    disabled: " + certificate.isEmpty());
    lines.add("storage:");
    lines.add("  filesystem:");
    lines.add("    rootdirectory: " + storage);
    lines.add("  delete:");
    lines.add("    enabled: true");
    lines.add("http:");
    lines.add("  addr: 127.0.0.1:" + port);
    lines.add("  secret: kiln-test-secret");
    if (certificate.isPresent()) {
      lines.add("  tls:");
      lines.add("    certificate: " + certificate.get());
      lines.add("    key: " + key.get());
    }
    if (htpasswd != null) {
      lines.add("auth:");
      lines.add("  htpasswd:");
      lines.add("    realm: kiln-test");
      lines.add("    path: " + htpasswd);
    }
    return String.join("\n", lines) + "\n";
  }

  private static void selfSignedCertificate(Path certificate, Path key) throws IOException {
    run(
        List.of(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            key.toString(),
            "-out",
            certificate.toString()));
  }

  private static String run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (process.waitFor() != 0) {
        throw new IOException(command.get(0) + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + command.get(0), e);
    }
    return output;
  }

  private static String htpasswdLine(String user, String password) throws IOException {
    return run(List.of("htpasswd", "-Bbn", user, password)).strip();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

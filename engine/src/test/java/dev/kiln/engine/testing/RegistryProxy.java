package dev.kiln.engine.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A small HTTP/1.1 proxy in front of a real registry, for the failures a registry does not make on
 * demand: it counts and records requests, can cut a blob download half-way (a reset connection),
 * answer a status once instead of forwarding, hold blob downloads until released, redirect blob
 * downloads to another origin, and demand bearer tokens from its own token service. One request per
 * connection ({@code Connection: close}).
 */
public final class RegistryProxy implements AutoCloseable {
  /** A request as the proxy saw it; header names lowercased. */
  public record Seen(String method, String path, String query, Map<String, String> headers) {
    public boolean isBlobDownload() {
      return method.equals("GET") && path.contains("/blobs/sha256:");
    }
  }

  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "content-length",
          "transfer-encoding",
          "host",
          "keep-alive",
          "upgrade",
          "expect",
          "http2-settings",
          "te",
          "date");

  private final URI upstream;
  private final ServerSocket server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicReference<Long> cutBlobAfter = new AtomicReference<>();
  private final AtomicReference<Long> stallBlobAfter = new AtomicReference<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final List<Failure> failures = new CopyOnWriteArrayList<>();
  private final AtomicReference<CountDownLatch> blobGate = new AtomicReference<>();
  private final CountDownLatch firstHeldBlob = new CountDownLatch(1);
  private final AtomicReference<RegistryProxy> blobRedirect = new AtomicReference<>();
  private volatile boolean tokensRequired;
  private volatile Map<String, String> tokenUsers = Map.of();
  private volatile long tokenLifetimeSeconds = 300;
  private volatile String tokenField = "token";
  private volatile String tokenReply;
  private volatile String refreshToken;
  private final Set<String> issued = ConcurrentHashMap.newKeySet();
  private final List<String> tokenScopes = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokenCounter = new AtomicInteger();

  private record Failure(
      int status, Map<String, String> headers, Predicate<Seen> matches, AtomicInteger remaining) {}

  private record Replacement(
      Predicate<Seen> matches, byte[] body, Set<String> dropped, AtomicInteger remaining) {}

  private final List<Replacement> replacements = new CopyOnWriteArrayList<>();

  private RegistryProxy(URI upstream, ServerSocket server) {
    this.upstream = upstream;
    this.server = server;
  }

  /** A proxy on 127.0.0.1 and a free port forwarding to {@code upstream} (http://host:port). */
  public static RegistryProxy start(URI upstream) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    RegistryProxy proxy = new RegistryProxy(upstream, server);
    Thread acceptor = new Thread(proxy::acceptLoop, "registry-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
    return proxy;
  }

  /** {@code 127.0.0.1:PORT}: the registry part of references through the proxy. */
  public String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  public URI uri() {
    return URI.create("http://" + host());
  }

  /** Every request so far, in arrival order. */
  public List<Seen> requests() {
    return List.copyOf(seen);
  }

  /** How many requests so far matched. */
  public long count(Predicate<Seen> matching) {
    return seen.stream().filter(matching).count();
  }

  /** Forgets the requests seen so far. */
  public void clearRequests() {
    seen.clear();
  }

  /** The next blob download sends its headers, then {@code bytes} bytes, then closes. */
  public void cutNextBlobDownload(long bytes) {
    cutBlobAfter.set(bytes);
  }

  /**
   * The next blob download sends its headers, then {@code bytes} bytes, then nothing more until the
   * client gives up (or the proxy closes): a stalled connection.
   */
  public void stallNextBlobDownload(long bytes) {
    stallBlobAfter.set(bytes);
  }

  /** The next {@code times} requests matching {@code matching} get {@code status}, unforwarded. */
  public void fail(int status, int times, Predicate<Seen> matching) {
    fail(status, Map.of(), times, matching);
  }

  /** As {@link #fail(int, int, Predicate)}, with these response headers. */
  public void fail(int status, Map<String, String> headers, int times, Predicate<Seen> matching) {
    failures.add(new Failure(status, Map.copyOf(headers), matching, new AtomicInteger(times)));
  }

  /**
   * The next response to a request matching {@code matching} is forwarded with its headers (but
   * Content-Length) and {@code body} instead of the registry's: a registry serving wrong content.
   */
  public void replaceNextBody(Predicate<Seen> matching, byte[] body) {
    replaceNextBody(matching, body, Set.of());
  }

  /** As {@link #replaceNextBody(Predicate, byte[])}, leaving out the {@code dropped} headers. */
  public void replaceNextBody(Predicate<Seen> matching, byte[] body, Set<String> dropped) {
    replacements.add(new Replacement(matching, body.clone(), dropped, new AtomicInteger(1)));
  }

  /** Blob downloads wait, once forwarded, until {@code release} opens. */
  public void holdBlobDownloads(CountDownLatch release) {
    blobGate.set(release);
  }

  /** Opens when the first held blob download has arrived and waits. */
  public void awaitHeldBlobDownload() throws InterruptedException {
    if (!firstHeldBlob.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no blob download arrived within 30 s");
    }
  }

  /** Blob downloads are answered with a 307 to the same path on {@code storage}. */
  public void redirectBlobDownloadsTo(RegistryProxy storage) {
    blobRedirect.set(storage);
  }

  /**
   * Requests to {@code /v2/...} need a bearer token from the proxy's {@code /token} service, which
   * demands Basic credentials of one of {@code users} (none: anonymous tokens).
   */
  public void requireBearerTokens(Map<String, String> users, long lifetimeSeconds) {
    tokenUsers = Map.copyOf(users);
    tokenLifetimeSeconds = lifetimeSeconds;
    tokensRequired = true;
  }

  /** The token service names its token {@code field} ({@code token} or {@code access_token}). */
  public void tokenField(String field) {
    tokenField = field;
  }

  /** The token service answers {@code body} (200, JSON type) instead of a token. */
  public void tokenReply(String body) {
    tokenReply = body;
  }

  /**
   * The token service also accepts OAuth2 refresh-token grants ({@code POST /token}) carrying
   * {@code token}, as Docker sends for identity tokens.
   */
  public void acceptRefreshToken(String token) {
    refreshToken = token;
  }

  /** How many tokens the token service issued. */
  public int tokensIssued() {
    return tokenCounter.get();
  }

  /** The scopes of every token request, in order. */
  public List<String> tokenScopes() {
    return List.copyOf(tokenScopes);
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    server.close();
    for (Socket socket : open) {
      socket.close();
    }
    CountDownLatch gate = blobGate.get();
    if (gate != null) {
      while (gate.getCount() > 0) {
        gate.countDown();
      }
    }
    pool.shutdownNow();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        open.add(socket);
        pool.execute(() -> serve(socket));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      String requestLine = line(in);
      if (requestLine == null || requestLine.isEmpty()) {
        return;
      }
      String[] parts = requestLine.split(" ");
      Map<String, String> headers = new LinkedHashMap<>();
      for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
        int colon = header.indexOf(':');
        headers.put(
            header.substring(0, colon).strip().toLowerCase(Locale.ROOT),
            header.substring(colon + 1).strip());
      }
      byte[] body = body(in, headers);
      URI target = URI.create(parts[1]);
      Seen request =
          new Seen(parts[0], target.getRawPath(), target.getRawQuery(), Map.copyOf(headers));
      seen.add(request);
      handle(request, body, out, socket);
    } catch (IOException | InterruptedException e) {
      // The client went away, or the test cut the connection on purpose.
    } finally {
      open.remove(socket);
    }
  }

  private void handle(Seen request, byte[] body, OutputStream out, Socket socket)
      throws IOException, InterruptedException {
    for (Failure failure : failures) {
      if (failure.matches().test(request) && failure.remaining().getAndDecrement() > 0) {
        byte[] error =
            "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = new LinkedHashMap<>(failure.headers());
        headers.put("Content-Type", "application/json");
        respond(out, failure.status(), headers, error, request);
        return;
      }
    }
    if (request.path().equals("/token")) {
      token(request, body, out);
      return;
    }
    if (tokensRequired && !authorised(request)) {
      String realm = uri() + "/token";
      respond(
          out,
          401,
          Map.of(
              "WWW-Authenticate",
              "Bearer realm=\"" + realm + "\",service=\"kiln-test\"",
              "Content-Type",
              "application/json"),
          "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"token required\"}]}"
              .getBytes(StandardCharsets.UTF_8),
          request);
      return;
    }
    RegistryProxy storage = blobRedirect.get();
    if (storage != null && request.isBlobDownload()) {
      respond(out, 307, Map.of("Location", storage.uri() + request.path()), new byte[0], request);
      return;
    }
    forward(request, body, out, socket);
  }

  private void forward(Seen request, byte[] body, OutputStream out, Socket socket)
      throws IOException, InterruptedException {
    String path = request.path() + (request.query() == null ? "" : "?" + request.query());
    HttpRequest.Builder upstreamRequest =
        HttpRequest.newBuilder(URI.create(upstream + path)).timeout(Duration.ofMinutes(2));
    request
        .headers()
        .forEach(
            (name, value) -> {
              if (!HOP_BY_HOP.contains(name) && !(tokensRequired && name.equals("authorization"))) {
                upstreamRequest.header(name, value);
              }
            });
    upstreamRequest.method(
        request.method(),
        body.length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    HttpResponse<byte[]> response =
        http.send(upstreamRequest.build(), HttpResponse.BodyHandlers.ofByteArray());
    Map<String, String> headers = new LinkedHashMap<>();
    response
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                // Upload sessions must come back through the proxy, not go around it.
                headers.put(
                    name, String.join(", ", values).replace(upstream.toString(), uri().toString()));
              }
            });
    if (request.method().equals("HEAD")) {
      response
          .headers()
          .firstValue("Content-Length")
          .ifPresent(length -> headers.put("Content-Length", length));
    }
    boolean blob = request.isBlobDownload() && response.statusCode() / 100 == 2;
    CountDownLatch gate = blobGate.get();
    if (blob && gate != null) {
      firstHeldBlob.countDown();
      if (!gate.await(60, TimeUnit.SECONDS)) {
        throw new IOException("the held blob download was never released");
      }
    }
    Long stall = blob ? stallBlobAfter.getAndSet(null) : null;
    if (stall != null) {
      writeHead(out, response.statusCode(), headers, response.body().length);
      out.write(response.body(), 0, (int) Math.min(stall, response.body().length));
      out.flush();
      // Silent until the client hangs up (its next read fails) or the proxy closes.
      while (socket.getInputStream().read() >= 0) {
        if (closed.getCount() == 0) {
          break;
        }
      }
      return;
    }
    Long cut = blob ? cutBlobAfter.getAndSet(null) : null;
    if (cut != null) {
      writeHead(out, response.statusCode(), headers, response.body().length);
      out.write(response.body(), 0, (int) Math.min(cut, response.body().length));
      out.flush();
      // The connection ends early, after the bytes sent: as a dropped download looks.
      socket.shutdownOutput();
      return;
    }
    byte[] served = response.body();
    for (Replacement replacement : replacements) {
      if (replacement.matches().test(request) && replacement.remaining().getAndDecrement() > 0) {
        served = replacement.body();
        headers
            .keySet()
            .removeIf(name -> replacement.dropped().contains(name.toLowerCase(Locale.ROOT)));
        if (request.method().equals("HEAD")) {
          headers.put("Content-Length", Integer.toString(served.length));
        }
        break;
      }
    }
    respond(out, response.statusCode(), headers, served, request);
  }

  private void token(Seen request, byte[] body, OutputStream out) throws IOException {
    Map<String, String> form = new LinkedHashMap<>();
    if (request.method().equals("POST")) {
      for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          form.put(
              pair.substring(0, eq),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    Map<String, String> users = tokenUsers;
    if (request.method().equals("POST")) {
      boolean valid =
          "refresh_token".equals(form.get("grant_type"))
              && refreshToken != null
              && refreshToken.equals(form.get("refresh_token"));
      if (!valid) {
        respond(out, 401, Map.of(), new byte[0], request);
        return;
      }
    } else if (!users.isEmpty()) {
      String authorization = request.headers().getOrDefault("authorization", "");
      boolean valid = false;
      if (authorization.startsWith("Basic ")) {
        String decoded =
            new String(
                Base64.getDecoder().decode(authorization.substring(6).strip()),
                StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        valid =
            colon > 0
                && decoded.substring(colon + 1).equals(users.get(decoded.substring(0, colon)));
      }
      if (!valid) {
        respond(out, 401, Map.of(), new byte[0], request);
        return;
      }
    }
    List<String> scopes = new ArrayList<>();
    if (form.containsKey("scope")) {
      scopes.add(form.get("scope"));
    }
    if (request.query() != null) {
      for (String pair : request.query().split("&")) {
        if (pair.startsWith("scope=")) {
          scopes.add(URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
        }
      }
    }
    tokenScopes.add(String.join(" ", scopes));
    String token = "t" + tokenCounter.incrementAndGet();
    issued.add(token);
    String reply =
        tokenReply != null
            ? tokenReply
            : "{\""
                + tokenField
                + "\":\""
                + token
                + "\",\"expires_in\":"
                + tokenLifetimeSeconds
                + "}";
    respond(
        out,
        200,
        Map.of("Content-Type", "application/json"),
        reply.getBytes(StandardCharsets.UTF_8),
        request);
  }

  private boolean authorised(Seen request) {
    String authorization = request.headers().getOrDefault("authorization", "");
    return authorization.startsWith("Bearer ") && issued.contains(authorization.substring(7));
  }

  private static void respond(
      OutputStream out, int status, Map<String, String> headers, byte[] body, Seen request)
      throws IOException {
    Map<String, String> all = new LinkedHashMap<>(headers);
    boolean head = request.method().equals("HEAD");
    long length = head ? Long.parseLong(all.getOrDefault("Content-Length", "0")) : body.length;
    all.remove("Content-Length");
    writeHead(out, status, all, length);
    if (!head) {
      out.write(body);
    }
    out.flush();
  }

  private static void writeHead(
      OutputStream out, int status, Map<String, String> headers, long length) throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " " + reason(status) + "\r\n");
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("Content-Length: ").append(length).append("\r\n");
    head.append("Connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 201:
        return "Created";
      case 202:
        return "Accepted";
      case 206:
        return "Partial Content";
      case 307:
        return "Temporary Redirect";
      case 401:
        return "Unauthorized";
      case 404:
        return "Not Found";
      case 429:
        return "Too Many Requests";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }

  private static byte[] body(InputStream in, Map<String, String> headers) throws IOException {
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      for (String size = line(in); size != null; size = line(in)) {
        int length = Integer.parseInt(size.split(";")[0].strip(), 16);
        if (length == 0) {
          line(in); // the blank line after the last chunk
          break;
        }
        body.write(in.readNBytes(length));
        line(in);
      }
      return body.toByteArray();
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    return in.readNBytes(length);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b >= 0; b = in.read()) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}

package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kiln daemon} and {@code kiln build --addr}: a real server on loopback, real builds. */
class DaemonTest {
  static final String DOCKERFILE = "FROM busybox\nCOPY app.txt /app.txt\nRUN cat /app.txt\n";

  @TempDir Path temp;
  Path root;
  Engine engine;
  DaemonServer server;
  DaemonAddress address;

  @BeforeEach
  void daemon() throws Exception {
    root = temp.resolve("root");
    // The daemon's image store gets busybox the way a user would put it there.
    Path base = Files.createDirectories(temp.resolve("base"));
    Files.writeString(base.resolve("Dockerfile"), "FROM busybox\n");
    int tagged =
        new CommandLine(new KilnCommand())
            .execute(
                "build",
                "--root",
                root.toString(),
                "--progress",
                "quiet",
                "--build-context",
                "busybox=" + BusyboxLayout.identifier(),
                "-t",
                "busybox",
                base.toString());
    assertEquals(0, tagged);
    engine = Engine.start(EngineConfig.at(root));
    server = DaemonServer.start(engine, root, "127.0.0.1", 0, 1 << 20);
    address = new DaemonAddress("127.0.0.1", server.port());
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    engine.close();
  }

  private Path context(String name, String app) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(name));
    Files.writeString(dir.resolve("Dockerfile"), DOCKERFILE);
    Files.writeString(dir.resolve("app.txt"), app);
    Files.writeString(dir.resolve(".dockerignore"), "secret.key\n");
    Files.writeString(dir.resolve("secret.key"), "never leaves the client\n");
    return dir;
  }

  private record Run(int exit, String err) {}

  private Run build(Path context, String... args) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit =
        DaemonClient.build(
            address, context, context.resolve("Dockerfile"), List.of(args), "plain", err);
    return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void buildsThroughTheDaemonShowTheSameOutputAndShareItsCache() throws Exception {
    Path context = context("app", "v1\n");

    Run first = build(context, "--tag", "app");
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.err().contains("RUN cat /app.txt"), first.err());
    assertTrue(first.err().contains(" v1"), "the step's output: " + first.err());
    assertTrue(first.err().contains("to the image store as app:latest"), first.err());
    assertTrue(engine.images().find("docker.io/library/app:latest").isPresent());

    Run again = build(context, "--tag", "app");
    assertEquals(0, again.exit(), again.err());
    assertNothingRan(again);
  }

  @Test
  void aDaemonRestartedWhileIdleKeepsTheCache() throws Exception {
    Path context = context("restart", "v1\n");
    assertEquals(0, build(context).exit());

    server.close();
    engine.close();
    engine = Engine.start(EngineConfig.at(root));
    server = DaemonServer.start(engine, root, "127.0.0.1", 0, 1 << 20);
    address = new DaemonAddress("127.0.0.1", server.port());

    Run again = build(context);
    assertEquals(0, again.exit(), again.err());
    assertNothingRan(again);
  }

  @Test
  void filesDockerignoreExcludesNeverLeaveTheClient() throws Exception {
    Path context = context("ignored", "kept\n");
    Files.writeString(context.resolve("Dockerfile"), "FROM busybox\nCOPY . /ctx\nRUN ls /ctx\n");
    // The ignore file ignores itself: the daemon cannot filter, only the client can have.
    Files.writeString(context.resolve(".dockerignore"), "secret.key\n.dockerignore\n");

    Run run = build(context);

    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("app.txt"), run.err());
    assertFalse(run.err().contains("secret.key"), run.err());
  }

  @Test
  void concurrentClientsWithTheirOwnContextsEachGetTheirOwnResult() throws Exception {
    Path one = context("one", "from client one\n");
    Path two = context("two", "from client two\n");

    CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> quietly(one));
    CompletableFuture<Run> second = CompletableFuture.supplyAsync(() -> quietly(two));
    Run a = first.get(5, TimeUnit.MINUTES);
    Run b = second.get(5, TimeUnit.MINUTES);

    assertEquals(0, a.exit(), a.err());
    assertEquals(0, b.exit(), b.err());
    assertTrue(a.err().contains("from client one"), a.err());
    assertFalse(a.err().contains("from client two"), a.err());
    assertTrue(b.err().contains("from client two"), b.err());
  }

  private Run quietly(Path context) {
    try {
      return build(context);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aStepThatFailsFailsTheClientWithTheStepsError() throws Exception {
    Path context = context("failing", "x\n");
    Files.writeString(context.resolve("Dockerfile"), "FROM busybox\nRUN echo broken && exit 3\n");

    Run run = build(context);

    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("ERROR"), run.err());
    assertTrue(run.err().contains("exit code: 3") || run.err().contains("exit code 3"), run.err());
  }

  @Test
  void optionsThatNameDaemonFilesAreRefused() throws Exception {
    Path context = context("options", "x\n");
    HttpResponse<String> response =
        post(
            new RemoteBuild.Request("Dockerfile", List.of("--output", "type=local,dest=/etc"))
                .encode(),
            upload(context, "context/app.txt"));
    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains("--output is not supported through the daemon"));

    for (List<String> args : List.of(List.of("--file", "/etc/passwd"), List.of("/etc"))) {
      HttpResponse<String> pathArgs =
          post(
              new RemoteBuild.Request("Dockerfile", args).encode(),
              tar(
                  java.util.Map.of(
                      "context/app.txt", "x\n", "dockerfile/Dockerfile", "FROM busybox\n")));
      assertEquals(400, pathArgs.statusCode(), args + ": " + pathArgs.body());
      assertTrue(pathArgs.body().contains("bad build options"), pathArgs.body());
    }
  }

  @Test
  void aMissingOrMalformedRequestAndAnUnknownEndpointGetClearErrors() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> missing =
        http.send(
            HttpRequest.newBuilder(address.http("/v1/builds"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[0]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, missing.statusCode());
    assertTrue(missing.body().contains("Kiln-Build header is missing"), missing.body());

    HttpResponse<String> malformed = post("!!not base64!!", new byte[0]);
    assertEquals(400, malformed.statusCode());
    assertTrue(malformed.body().contains("not base64url-encoded JSON"), malformed.body());

    HttpResponse<String> unknown =
        http.send(
            HttpRequest.newBuilder(address.http("/v1/builds/42")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, unknown.statusCode());
  }

  @Test
  void anUploadThatEscapesItsDirectoryIsRefusedAndWritesNothingOutside() throws Exception {
    byte[] tar = tar("context/../../escaped.txt", "gotcha");
    HttpResponse<String> response =
        post(new RemoteBuild.Request("Dockerfile", List.of()).encode(), tar);

    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains("leaves the upload's directory"), response.body());
    assertFalse(Files.exists(root.resolve("escaped.txt")));
    try (var left = Files.list(root.resolve("sessions"))) {
      assertEquals(List.of(), left.toList(), "the refused upload was left behind");
    }
  }

  @Test
  void anUploadLargerThanTheLimitIsRefused() throws Exception {
    byte[] tar = tar("context/big.bin", "x".repeat(2 << 20));
    HttpResponse<String> response =
        post(new RemoteBuild.Request("Dockerfile", List.of()).encode(), tar);
    assertEquals(413, response.statusCode(), response.body());
  }

  @Test
  void aClientThatGoesAwayCancelsItsBuild() throws Exception {
    byte[] upload =
        tar(
            java.util.Map.of(
                "context/app.txt", "x\n",
                "dockerfile/Dockerfile", "FROM busybox\nRUN echo started && sleep 600\n"));
    java.net.HttpURLConnection http =
        (java.net.HttpURLConnection) address.http("/v1/builds").toURL().openConnection();
    http.setRequestMethod("POST");
    http.setDoOutput(true);
    http.setRequestProperty(
        DaemonServer.BUILD_HEADER, new RemoteBuild.Request("Dockerfile", List.of()).encode());
    try (var out = http.getOutputStream()) {
      out.write(upload);
    }
    assertEquals(200, http.getResponseCode());
    var lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(http.getInputStream(), StandardCharsets.UTF_8));
    for (String line = lines.readLine(); !line.contains("\"line\":\"started\""); ) {
      line = lines.readLine();
    }
    http.disconnect(); // the client goes away while the step sleeps

    // The build ends (and its upload goes) long before the step's 600 s would.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (var left = Files.list(root.resolve("sessions"))) {
        if (left.findAny().isEmpty()) {
          break;
        }
      }
      assertTrue(System.nanoTime() < deadline, "the build went on without its client");
      Thread.onSpinWait();
    }
  }

  private HttpResponse<String> post(String header, byte[] body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(address.http("/v1/builds"))
                .header(DaemonServer.BUILD_HEADER, header)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] upload(Path context, String name) throws Exception {
    return tar(name, Files.readString(context.resolve("app.txt")));
  }

  private static byte[] tar(String name, String content) throws Exception {
    return tar(java.util.Map.of(name, content));
  }

  private static byte[] tar(java.util.Map<String, String> files) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      for (var file : files.entrySet()) {
        byte[] data = file.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
        entry.setSize(data.length);
        tar.putArchiveEntry(entry);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static void assertNothingRan(Run run) {
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains(" CACHED"), run.err());
    assertEquals(0, count(run.err(), " DONE "), "a step ran again: " + run.err());
  }

  private static int count(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      count++;
    }
    return count;
  }
}

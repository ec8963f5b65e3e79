package dev.kiln.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.DaemonAddress;
import dev.kiln.cli.KilnCommand;
import dev.kiln.cli.RemoteBuild;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobEvent;
import dev.kiln.engine.job.JobState;
import dev.kiln.engine.job.Jobs;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon that starts on a root a crash left: interrupted builds resume from their sessions, one
 * given secrets waits for them, one whose session is damaged ends failed saying why, and what no
 * unfinished build needs is cleared. The interrupted state is made as a crash leaves it: a job
 * accepted and never ended, and its session.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DaemonRecoveryTest {
  private static final String TOKEN = "t0ken-of-the-test\n";

  @TempDir Path temp;
  private Path root;
  private Engine engine;
  private DaemonServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void busybox() throws Exception {
    root = temp.resolve("root");
    Path base = Files.createDirectories(temp.resolve("base"));
    Files.writeString(base.resolve("Dockerfile"), "FROM busybox\n");
    assertEquals(
        0,
        KilnCommand.commandLine()
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
                base.toString()));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  /** What a daemon killed mid-build leaves of build {@code id}: its job, and its session. */
  private Path interrupted(BuildId id, String dockerfile, List<String> secrets) throws Exception {
    RemoteBuild.Request request = new RemoteBuild.Request("Dockerfile", List.of());
    try (Engine crashed = Engine.start(EngineConfig.at(root))) {
      Jobs.of(crashed.actorSystem())
          .open(
              new JobEvent.BuildAccepted(
                  id,
                  "dockerfile",
                  Map.of(),
                  request.args(),
                  List.of(),
                  "a client of the daemon",
                  "",
                  Instant.now()),
              false);
    }
    Path session = root.resolve("sessions").resolve(id.value());
    Files.createDirectories(session.resolve("dockerfile"));
    Files.writeString(session.resolve("dockerfile/Dockerfile"), dockerfile);
    Files.writeString(
        Files.createDirectories(session.resolve("context")).resolve("app.txt"), "app\n");
    new SavedRequest(request, secrets, Optional.empty(), Map.of()).write(session);
    return session;
  }

  /** What {@code kiln ls --addr} prints for the daemon. */
  private String ls() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, KilnCommand.run("ls", "--addr", server.address().toString()));
    } finally {
      System.setOut(old);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private void startDaemon() throws Exception {
    engine = Engine.start(EngineConfig.at(root));
    server = DaemonServer.start(engine, root, new DaemonAddress.Tcp("127.0.0.1", 0), 8 << 20);
  }

  private HttpResponse<String> send(String method, String path, byte[] body) throws Exception {
    int port = ((DaemonAddress.Tcp) server.address()).port();
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    int port = ((DaemonAddress.Tcp) server.address()).port();
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] tar(Map<String, String> files) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      for (var file : files.entrySet()) {
        byte[] data = file.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
        entry.setSize(data.length);
        tar.putArchiveEntry(entry);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void anInterruptedBuildResumesWhenTheDaemonStartsAndLeftoversGo() throws Exception {
    BuildId id = BuildId.next();
    interrupted(id, "FROM busybox\nCOPY app.txt /app.txt\nRUN cat /app.txt\n", List.of());
    Path stray = Files.createDirectories(root.resolve("sessions").resolve("not-a-build"));
    Path halfSent =
        Files.writeString(
            Files.createDirectories(root.resolve("outputs")).resolve(id + ".sending-x"), "x");

    startDaemon();
    assertFalse(Files.exists(stray), "a session no unfinished build needs is cleared");
    assertFalse(Files.exists(halfSent), "an output half sent is cleared");
    String lines = get("/v1/builds/" + id + "/events").body();
    assertTrue(lines.contains("goes on where it stood"), lines);
    assertTrue(lines.contains("\"line\":\"app\""), "the step ran on its saved context: " + lines);
    assertTrue(lines.strip().endsWith("{\"type\":\"exit\",\"code\":0}"), lines);
    assertEquals(JobState.Status.FINISHED, engine.job(id).status());
    assertFalse(Files.exists(root.resolve("sessions").resolve(id.value())), "its session went");
    assertEquals(List.of(), engine.unfinishedJobs());
  }

  @Test
  void aResumedBuildWaitsForAllItsSecretsAndTakesThemOnlyAsSecrets() throws Exception {
    BuildId id = BuildId.next();
    interrupted(
        id,
        "FROM busybox\nRUN --mount=type=secret,id=token sha256sum < /run/secrets/token\n",
        List.of("token"));
    startDaemon();
    String listed = get("/v1/builds").body();
    assertTrue(listed.contains("\"state\":\"needs-secrets\""), listed);
    String ls = ls();
    assertTrue(
        ls.lines().anyMatch(line -> line.startsWith(id.value()) && line.contains("needs-secrets")),
        ls);

    String path = "/v1/builds/" + id + "/secrets";
    HttpResponse<String> none = send("POST", path, tar(Map.of()));
    assertEquals(400, none.statusCode(), none.body());
    assertTrue(none.body().contains("needs the secrets token"), none.body());
    HttpResponse<String> notSecret = send("POST", path, tar(Map.of("context/x", "x")));
    assertEquals(400, notSecret.statusCode(), notSecret.body());
    assertTrue(notSecret.body().contains("is no secret/ID"), notSecret.body());
    HttpResponse<String> garbage = send("POST", path, "not a tar at all".getBytes());
    assertEquals(400, garbage.statusCode(), garbage.body());
    assertEquals(400, send("POST", "/v1/builds/not-an-id/secrets", tar(Map.of())).statusCode());
    assertEquals(
        404, send("POST", "/v1/builds/" + BuildId.next() + "/secrets", tar(Map.of())).statusCode());

    HttpResponse<String> sent = send("POST", path, tar(Map.of("secret/token", TOKEN)));
    assertEquals(202, sent.statusCode(), sent.body());
    String lines = get("/v1/builds/" + id + "/events").body();
    assertTrue(lines.contains("{\"type\":\"needs-secrets\",\"secrets\":[\"token\"]}"), lines);
    assertTrue(lines.contains(Digest.sha256(TOKEN).hex()), "the step read the secret: " + lines);
    assertTrue(lines.strip().endsWith("{\"type\":\"exit\",\"code\":0}"), lines);
    assertEquals(409, send("POST", path, tar(Map.of("secret/token", TOKEN))).statusCode());
    assertEquals(JobState.Status.FINISHED, engine.job(id).status());
  }

  @Test
  void aWaitingBuildCancelledEndsItsJob() throws Exception {
    BuildId id = BuildId.next();
    interrupted(id, "FROM busybox\nRUN --mount=type=secret,id=token true\n", List.of("token"));
    startDaemon();
    assertEquals(202, send("POST", "/v1/builds/" + id + "/cancel", new byte[0]).statusCode());
    String lines = get("/v1/builds/" + id + "/events").body();
    assertTrue(lines.contains("cancelled while it waited for its secrets"), lines);
    assertTrue(lines.strip().endsWith("{\"type\":\"exit\",\"code\":1}"), lines);
    assertEquals(JobState.Status.CANCELLED, engine.job(id).status());
    assertTrue(get("/v1/builds/" + id).body().contains("\"state\":\"cancelled\""));
  }

  @Test
  void buildsEndedBeforeARestartAreListedFromTheJobHistory() throws Exception {
    BuildId id = BuildId.next();
    interrupted(id, "FROM busybox\nRUN --mount=type=secret,id=token true\n", List.of("token"));
    startDaemon();
    assertEquals(202, send("POST", "/v1/builds/" + id + "/cancel", new byte[0]).statusCode());
    assertTrue(get("/v1/builds/" + id + "/events").body().contains("\"code\":1}"));
    server.close();
    engine.close();

    startDaemon();
    String listed = get("/v1/builds").body();
    assertTrue(
        listed.contains("{\"id\":\"" + id + "\",\"state\":\"cancelled\""),
        "the ended build is listed: " + listed);
    String ls = ls();
    assertTrue(
        ls.lines()
            .anyMatch(
                line ->
                    line.startsWith(id.value())
                        && line.contains("cancelled")
                        && line.contains("dockerfile:")),
        ls);
  }

  @Test
  void aDaemonBuildWhoseSessionIsGoneEndsFailedAndAnEmbeddedOneIsLeftToKilnResume()
      throws Exception {
    BuildId gone = BuildId.next();
    deleteTree(interrupted(gone, "FROM busybox\nRUN true\n", List.of()));
    BuildId embedded = BuildId.next();
    try (Engine crashed = Engine.start(EngineConfig.at(root))) {
      Jobs.of(crashed.actorSystem())
          .open(
              new JobEvent.BuildAccepted(
                  embedded,
                  "dockerfile",
                  Map.of(),
                  List.of(),
                  List.of(),
                  "kiln build",
                  "/work",
                  Instant.now()),
              false);
    }

    startDaemon();
    server.awaitRestarted();
    assertEquals(JobState.Status.FAILED, engine.job(gone).status());
    String lines = get("/v1/builds/" + gone + "/events").body();
    assertTrue(lines.contains("cannot resume: its upload did not outlive the daemon"), lines);
    assertTrue(lines.strip().endsWith("{\"type\":\"exit\",\"code\":1}"), lines);
    assertEquals(JobState.Status.RUNNING, engine.job(embedded).status(), "kiln resume's");
    assertEquals(
        List.of(embedded),
        engine.unfinishedJobs().stream().map(j -> j.accepted().orElseThrow().build()).toList());
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  @Test
  void aBuildWhoseSavedRequestIsDamagedEndsFailedNamingTheFile() throws Exception {
    BuildId id = BuildId.next();
    Path session = interrupted(id, "FROM busybox\nRUN true\n", List.of());
    Path saved = session.resolve(SavedRequest.FILE);
    byte[] bytes = Files.readAllBytes(saved);
    bytes[bytes.length / 2] ^= 1; // one bit flipped on disk
    Files.write(saved, bytes);

    startDaemon();
    String lines = get("/v1/builds/" + id + "/events").body();
    assertTrue(lines.contains("cannot resume: " + saved + " is damaged"), lines);
    assertTrue(lines.strip().endsWith("{\"type\":\"exit\",\"code\":1}"), lines);
    JobState job = engine.job(id);
    assertEquals(JobState.Status.FAILED, job.status());
    assertFalse(Files.exists(session), "its session went");
    assertEquals(List.of(), engine.unfinishedJobs());
  }

  @Test
  void aSavedRequestReadsBackAndAnAbsentOneIsNone() throws Exception {
    Path session = Files.createDirectories(temp.resolve("session"));
    assertEquals(Optional.empty(), SavedRequest.read(session));
    SavedRequest request =
        new SavedRequest(
            new RemoteBuild.Request("Dockerfile", List.of("--target", "app")),
            List.of("token"),
            Optional.empty(),
            Map.of());
    request.write(session);
    assertEquals(Optional.of(request), SavedRequest.read(session));
    Files.writeString(session.resolve(SavedRequest.FILE), "{\"saved\":");
    java.io.IOException truncated =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.io.IOException.class, () -> SavedRequest.read(session));
    assertTrue(
        truncated.getMessage().contains(SavedRequest.FILE + " is damaged"), truncated.getMessage());
  }
}

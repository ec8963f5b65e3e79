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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln daemon} and {@code kiln build --addr}: a real server on loopback, real builds. */
@org.junit.jupiter.api.Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang fails, never blocks CI
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
                base.toString());
    assertEquals(0, tagged);
    startDaemon();
  }

  /** The daemon's upload limit: room for a busybox layout, small enough to pass in a test. */
  static final long UPLOAD_LIMIT = 8 << 20;

  /** Where the daemon listens: a free loopback port (a subclass tries a Unix socket). */
  DaemonAddress listenOn() {
    return new DaemonAddress.Tcp("127.0.0.1", 0);
  }

  /** How a client reaches the daemon at {@code served} (a subclass adds its certificates). */
  DaemonAddress clientOf(DaemonAddress served) {
    return served;
  }

  void startDaemon() throws Exception {
    engine = Engine.start(EngineConfig.at(root));
    server = DaemonServer.start(engine, root, listenOn(), UPLOAD_LIMIT);
    address = clientOf(server.address());
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
    return build(context, Map.of(), args);
  }

  private Run build(Path context, Map<String, byte[]> secrets, String... args) throws Exception {
    return build(context, secrets, Optional.empty(), args);
  }

  private Run build(
      Path context, Map<String, byte[]> secrets, Optional<String> output, String... args)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit =
        DaemonClient.build(
            address,
            DaemonClient.Job.of(context, List.of(args)).withSecrets(secrets).withOutput(output),
            "plain",
            err);
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
    startDaemon();

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

  @Test
  void clientsWhoseContextsAreOtherDirectoriesWithTheSameFilesRunTheirStepOnce() throws Exception {
    server.close();
    server =
        DaemonServer.start(
            engine, root, listenOn(), UPLOAD_LIMIT, java.util.Set.of("network.host"));
    address = clientOf(server.address());
    try (java.net.ServerSocket gate =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      int port = gate.getLocalPort();
      gate.close(); // shut until both builds are at the step; opened again below
      String dockerfile =
          "FROM busybox\nCOPY app.txt /app.txt\n"
              + "RUN --network=host sh -c 'until nc 127.0.0.1 "
              + port
              + " </dev/null; do sleep 0.1; done; echo ran-$RANDOM'\n";
      List<Path> contexts = List.of(context("same-one", "same\n"), context("same-two", "same\n"));
      List<ByteArrayOutputStream> logs = new java.util.ArrayList<>();
      List<CompletableFuture<Integer>> exits = new java.util.ArrayList<>();
      for (Path context : contexts) {
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(log, true, StandardCharsets.UTF_8);
        logs.add(log);
        exits.add(
            CompletableFuture.supplyAsync(
                () ->
                    unchecked(
                        () ->
                            DaemonClient.build(
                                address,
                                DaemonClient.Job.of(context, List.of("--allow", "network.host")),
                                "plain",
                                err))));
      }
      // Both builds are at the step (one running it, the other waiting for it) before it ends.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!logs.stream().allMatch(log -> logOf(log).contains("RUN --network=host"))) {
        assertTrue(System.nanoTime() < deadline, logs.toString());
        Thread.onSpinWait();
      }
      try (java.net.ServerSocket open =
          new java.net.ServerSocket(port, 50, java.net.InetAddress.getLoopbackAddress())) {
        Thread accepting =
            new Thread(
                () -> {
                  while (!open.isClosed()) {
                    try {
                      open.accept().close();
                    } catch (java.io.IOException e) {
                      return;
                    }
                  }
                });
        accepting.start();
        for (CompletableFuture<Integer> exit : exits) {
          assertEquals(0, exit.get(2, TimeUnit.MINUTES), logs.toString());
        }
      }
      List<String> ran =
          logs.stream()
              .map(log -> java.util.regex.Pattern.compile("ran-\\d+").matcher(logOf(log)))
              .map(m -> m.find() ? m.group() : "none")
              .toList();
      assertEquals(ran.get(0), ran.get(1), "each build ran the step: " + logs);
      assertTrue(ran.get(0).startsWith("ran-"), logs.toString());
    }
  }

  private static String logOf(ByteArrayOutputStream log) {
    synchronized (log) {
      return log.toString(StandardCharsets.UTF_8);
    }
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
  void optionsThatNameDaemonFilesOrAskForWhatItDoesNotGrantAreRefused() throws Exception {
    Path context = context("options", "x\n");
    Response response =
        post(
            new RemoteBuild.Request("Dockerfile", List.of("--output", "type=local,dest=/etc"))
                .encode(),
            upload(context, "context/app.txt"));
    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains("--output: a file output is the request's"));

    Map<List<String>, String> refused =
        Map.of(
            List.of("--file", "/etc/passwd"), "--file is not supported",
            List.of("/etc"), "name no build context",
            List.of("--build-context", "x=/etc"), "travels in the upload",
            List.of("--build-context", "x=oci-layout:///etc:tag"), "travels in the upload",
            List.of("--build-context", "x=/etc=docker-image://busybox"), "travels in the upload",
            List.of("--cache-from", "type=local,src=/etc"), "travels in the upload",
            List.of("--cache-to", "type=local,dest=/tmp/out"), "--cache-to type=local",
            List.of("--secret", "id=s,src=/etc/shadow"), "--secret is not supported",
            List.of("--local", "x=/etc"), "--local is not supported",
            List.of("--allow", "network.host"), "this daemon does not grant it");
    for (var args : refused.entrySet()) {
      Response pathArgs =
          post(
              new RemoteBuild.Request("Dockerfile", args.getKey()).encode(),
              tar(
                  java.util.Map.of(
                      "context/app.txt", "x\n", "dockerfile/Dockerfile", "FROM busybox\n")));
      assertEquals(400, pathArgs.statusCode(), args + ": " + pathArgs.body());
      assertTrue(pathArgs.body().contains(args.getValue()), args + ": " + pathArgs.body());
    }
  }

  @Test
  void aCacheRequestThatNamesADaemonPathOrNoLayoutIsRefused() throws Exception {
    Map<String, String> refused =
        Map.of(
            "type=local,dest=/etc", "names no dest",
            "type=registry,ref=example.com/cache", "is a type=local cache",
            "type=nope", "is a type=local cache",
            "type=local,mode=most", "mode");
    for (var cacheTo : refused.entrySet()) {
      Response answer =
          post(
              new RemoteBuild.Request("Dockerfile", List.of())
                  .withCacheTo(Optional.of(cacheTo.getKey()))
                  .encode(),
              tar(Map.of("context/app.txt", "x\n", "dockerfile/Dockerfile", "FROM busybox\n")));
      assertEquals(400, answer.statusCode(), cacheTo + ": " + answer.body());
      assertTrue(answer.body().contains(cacheTo.getValue()), cacheTo + ": " + answer.body());
    }
  }

  @Test
  void namedContextsAndLayoutsOfTheClientTravelAsItsContextDoes() throws Exception {
    Path context = context("named", "x\n");
    Path extra = Files.createDirectories(temp.resolve("extra"));
    Files.writeString(extra.resolve("note.txt"), "from the named context\n");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM base\nCOPY --from=extra note.txt /note.txt\nRUN cat /note.txt\n");
    String[] args = {
      "--progress",
      "plain",
      "--build-context",
      "extra=" + extra,
      "--build-context",
      "base=" + BusyboxLayout.identifier(),
      context.toString()
    };

    Cli first = kiln("build", args);
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.err().contains(" from the named context"), first.err());

    Files.writeString(extra.resolve("note.txt"), "changed on the client\n");
    Cli second = kiln("build", args);
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.err().contains(" changed on the client"), second.err());
  }

  @Test
  void everyBuildIsJournaledAsAJobUnderTheIdItsClientShows() throws Exception {
    Path context = context("journaled", "x\n");
    Run remote = build(context, "--tag", "journaled");
    assertEquals(0, remote.exit(), remote.err());
    dev.kiln.engine.job.JobState job = engine.job(buildId(remote.err()));
    assertEquals(dev.kiln.engine.job.JobState.Status.FINISHED, job.status());
    assertEquals("dockerfile", job.accepted().orElseThrow().frontend());
    assertEquals(List.of("--tag", "journaled"), job.accepted().orElseThrow().options());

    Path elsewhere = temp.resolve("embedded-root");
    Cli embedded =
        cli(
            "build",
            "--root",
            elsewhere.toString(),
            "--progress",
            "plain",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            context.toString());
    assertEquals(0, embedded.exit(), embedded.err());
    try (Engine other = Engine.start(EngineConfig.at(elsewhere))) {
      dev.kiln.engine.job.JobState own = other.job(buildId(embedded.err()));
      assertEquals(dev.kiln.engine.job.JobState.Status.FINISHED, own.status());
      assertTrue(own.accepted().orElseThrow().options().contains("--build-context"));
    }
  }

  /** The id a build's plain output names first ({@code #0 build ID}). */
  private static dev.kiln.engine.job.BuildId buildId(String plain) {
    String line =
        plain
            .lines()
            .filter(l -> l.startsWith("#0 build "))
            .findFirst()
            .orElseThrow(() -> new AssertionError(plain));
    return dev.kiln.engine.job.BuildId.parse(line.substring("#0 build ".length()).strip());
  }

  /**
   * {@code kiln build} options that build {@code context} on {@code busybox} from a local cache.
   */
  private static String[] fromCache(String busybox, Path cache, Path context) {
    return new String[] {
      "--progress",
      "plain",
      "--build-context",
      busybox,
      "--cache-from",
      "type=local,src=" + cache,
      context.toString()
    };
  }

  /** A context whose one step writes a random number: a step that ran again shows. */
  private Path randomStep(String name) throws Exception {
    Path context = context(name, "x\n");
    Files.writeString(context.resolve("Dockerfile"), "FROM busybox\nRUN echo $RANDOM > /r\n");
    return context;
  }

  @Test
  void aCacheExportedToADirectoryOfTheClientServesABuildThroughTheDaemon() throws Exception {
    Path context = randomStep("cache-from");
    Path cache = temp.resolve("cache");
    String busybox = "busybox=" + BusyboxLayout.identifier();
    Cli exported =
        cli(
            "build",
            "--root",
            temp.resolve("elsewhere").toString(),
            "--progress",
            "quiet",
            "--build-context",
            busybox,
            "--cache-to",
            "type=local,dest=" + cache,
            context.toString());
    assertEquals(0, exported.exit(), exported.err());

    Cli imported = kiln("build", fromCache(busybox, cache, context));

    assertEquals(0, imported.exit(), imported.err());
    assertTrue(imported.err().contains("importing cache from"), imported.err());
    assertNothingRan(new Run(imported.exit(), imported.err()));
  }

  @Test
  void aCacheExportedThroughTheDaemonLandsOnTheClientAndServesAnotherEngine() throws Exception {
    Path context = randomStep("cache-to");
    Path cache = temp.resolve("client-cache");
    String busybox = "busybox=" + BusyboxLayout.identifier();
    String[] args = {
      "--progress",
      "plain",
      "--build-context",
      busybox,
      "--cache-to",
      "type=local,mode=max,dest=" + cache,
      context.toString()
    };

    Cli exported = kiln("build", args);
    assertEquals(0, exported.exit(), exported.err());
    assertTrue(exported.err().contains("wrote the cache to " + cache), exported.err());
    assertTrue(Files.isRegularFile(cache.resolve("index.json")));
    try (var blobs = Files.list(cache.resolve("blobs/sha256"))) {
      for (Path blob : blobs.toList()) {
        assertEquals(
            blob.getFileName().toString(), dev.kiln.engine.graph.Digest.ofFile(blob).hex());
      }
    }
    Cli again = kiln("build", args);
    assertEquals(0, again.exit(), again.err());

    List<String> line =
        new java.util.ArrayList<>(List.of("build", "--root", temp.resolve("elsewhere").toString()));
    line.addAll(List.of(fromCache(busybox, cache, context)));
    Cli elsewhere = cli(line.toArray(String[]::new));
    assertNothingRan(new Run(elsewhere.exit(), elsewhere.err()));
  }

  @Test
  void aCacheFetchThatIsMalformedRepeatedOrForNoBuildIsRefused() throws Exception {
    Path context = context("cache-fetch", "x\n");
    Run run = build(context);
    assertEquals(0, run.exit(), run.err());
    String id = run.err().lines().filter(l -> l.startsWith("#0 build ")).findFirst().orElseThrow();
    id = id.substring("#0 build ".length()).strip();

    Map<String, Integer> bodies =
        Map.of(
            "{\"have\":[]}",
            404, // this build exported no cache
            "{\"have\":[\"md5:x\"]}",
            400,
            "{\"have\":\"sha256:x\"}",
            400,
            "not json",
            400,
            "{\"have\":[\"" + "x".repeat(5 << 20) + "\"]}",
            413);
    for (var body : bodies.entrySet()) {
      Response answer = send("/v1/builds/" + id + "/cache", "POST", Map.of(), body.getKey());
      assertEquals(
          body.getValue(),
          answer.statusCode(),
          body.getKey().substring(0, Math.min(40, body.getKey().length())) + answer.body());
    }
    Response unknown =
        send("/v1/builds/01ARZ3NDEKTSV4RRFFQ69G5FAV/cache", "POST", Map.of(), "{\"have\":[]}");
    assertEquals(404, unknown.statusCode(), unknown.body());
  }

  @Test
  void aBuildGraphWithItsLocalDirectoriesRunsThroughTheDaemon() throws Exception {
    Path files = Files.createDirectories(temp.resolve("graph-files"));
    Files.writeString(files.resolve("hello.txt"), "hello from a local directory\n");
    Path graph = temp.resolve("graph.json");
    Files.writeString(
        graph,
        """
        {"vertices": [
          {"id": "base", "op": {"type": "source", "identifier": "docker-image://busybox"}},
          {"id": "files", "op": {"type": "source", "identifier": "local://files"}},
          {"id": "both", "op": {"type": "merge"}, "inputs": [{"vertex": "base"}, {"vertex": "files"}]},
          {"id": "show", "op": {"type": "exec", "args": ["cat", "/hello.txt"]},
           "inputs": [{"vertex": "both"}]}
        ], "root": {"vertex": "show"}}
        """);

    Cli built =
        kiln(
            "build",
            "--progress",
            "plain",
            "--definition",
            graph.toString(),
            "--local",
            "files=" + files);

    assertEquals(0, built.exit(), built.err());
    assertTrue(built.err().contains(" hello from a local directory"), built.err());
  }

  @Test
  void aLayoutPathOfTheDaemonsHostIsNeverRead() throws Exception {
    String layout = BusyboxLayout.identifier();
    Path context = context("daemon-layout", "x\n");
    Files.writeString(context.resolve("Dockerfile"), "FROM " + layout + "\nRUN true\n");
    Cli fromLine = kiln("build", context.toString());
    assertEquals(1, fromLine.exit(), fromLine.err());
    assertTrue(fromLine.err().contains("a layout comes from the client"), fromLine.err());
    assertTrue(fromLine.err().contains("Dockerfile:1"), fromLine.err());

    Path graph = temp.resolve("layout-graph.json");
    Files.writeString(
        graph,
        "{\"vertices\": [{\"id\": \"l\", \"op\": {\"type\": \"source\", \"identifier\": \""
            + layout
            + "\"}}], \"root\": {\"vertex\": \"l\"}}");
    Cli fromGraph = kiln("build", "--definition", graph.toString());
    assertEquals(1, fromGraph.exit(), fromGraph.err());
    assertTrue(fromGraph.err().contains("a layout comes from the client"), fromGraph.err());

    // A layout the client sends may not hold a symlink: the engine would follow it.
    Path linked = Files.createDirectories(temp.resolve("linked-layout"));
    Files.writeString(linked.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.createSymbolicLink(linked.resolve("index.json"), Path.of("/etc/hostname"));
    Cli symlinked =
        kiln("build", "--build-context", "base=oci-layout://" + linked, context.toString());
    assertEquals(1, symlinked.exit(), symlinked.err());
    assertTrue(symlinked.err().contains("holds no symlinks"), symlinked.err());
  }

  @Test
  void aStepReachesTheClientsSshAgentThroughTheDaemon() throws Exception {
    Path tools = Files.createDirectories(temp.resolve("agent-tools"));
    Path source = tools.resolve("agent-identities.c");
    try (java.io.InputStream in = DaemonTest.class.getResourceAsStream("agent-identities.c")) {
      Files.copy(in, source);
    }
    run(
        "gcc",
        "-static",
        "-O2",
        "-o",
        tools.resolve("agent-identities").toString(),
        source.toString());
    Files.delete(source);
    Path keys = Files.createDirectories(temp.resolve("agent"));
    Path socket = keys.resolve("agent.sock");
    Process agent =
        new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString())
            .redirectErrorStream(true)
            .start();
    try {
      // In the foreground, ssh-agent prints its socket once it listens there.
      String first =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertTrue(first != null && first.contains(socket.toString()), String.valueOf(first));
      run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keys.resolve("id").toString());
      ProcessBuilder add = new ProcessBuilder("ssh-add", keys.resolve("id").toString());
      add.environment().put("SSH_AUTH_SOCK", socket.toString());
      assertEquals(0, add.redirectErrorStream(true).start().waitFor());

      Path context = context("ssh", "x\n");
      Files.writeString(
          context.resolve("Dockerfile"),
          "FROM busybox\nCOPY --from=tools agent-identities /bin/\n"
              + "RUN --mount=type=ssh agent-identities\n");
      Cli built =
          kiln(
              "build",
              "--progress",
              "plain",
              "--no-cache",
              "--build-context",
              "tools=" + tools,
              "--ssh",
              "default=" + socket,
              context.toString());

      assertEquals(0, built.exit(), built.err());
      assertTrue(built.err().contains("agent-identities=1"), built.err());
    } finally {
      agent.destroy();
      agent.waitFor();
    }
    Response stray =
        send(
            "/v1/builds/01ARZ3NDEKTSV4RRFFQ69G5FAV/ssh/" + java.util.UUID.randomUUID(),
            "POST",
            Map.of(),
            "x");
    assertEquals(404, stray.statusCode(), stray.body());
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
  }

  @Test
  void anEntitlementIsGrantedOnlyByTheDaemon() throws Exception {
    Path context = context("entitled", "x\n");
    Files.writeString(
        context.resolve("Dockerfile"), "FROM busybox\nRUN --network=host echo on-the-host\n");

    Cli refused = kiln("build", "--allow", "network.host", context.toString());
    assertEquals(1, refused.exit(), refused.err());
    assertTrue(refused.err().contains("--allow-insecure-entitlement network.host"), refused.err());

    server.close();
    server =
        DaemonServer.start(
            engine, root, listenOn(), UPLOAD_LIMIT, java.util.Set.of("network.host"));
    address = clientOf(server.address());
    Cli granted =
        kiln("build", "--progress", "plain", "--allow", "network.host", context.toString());
    assertEquals(0, granted.exit(), granted.err());
    assertTrue(granted.err().contains(" on-the-host"), granted.err());
  }

  @Test
  void aMissingOrMalformedRequestAndAnUnknownEndpointGetClearErrors() throws Exception {
    Response missing = send("/v1/builds", "POST", Map.of(), "");
    assertEquals(400, missing.statusCode());
    assertTrue(missing.body().contains("Kiln-Build header is missing"), missing.body());

    Response malformed = post("!!not base64!!", new byte[0]);
    assertEquals(400, malformed.statusCode());
    assertTrue(malformed.body().contains("not base64url-encoded JSON"), malformed.body());

    String hostile =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "{\"dockerfile\":\"Dockerfile\",\"args\":[],\"submission\":\"../../x\"}"
                    .getBytes(StandardCharsets.UTF_8));
    Response submission = post(hostile, new byte[0]);
    assertEquals(400, submission.statusCode());
    assertTrue(submission.body().contains("is a client's random id"), submission.body());
    assertEquals(
        "{\"builds\":[]}",
        send("/v1/builds?submission=no-such-submission", "GET").body().strip(),
        "a submission the daemon never kept");

    Response endpoint = send("/v1/nothing", "GET");
    assertEquals(404, endpoint.statusCode());
    assertTrue(endpoint.body().contains("no such endpoint: /v1/nothing"), endpoint.body());
  }

  @Test
  void aTakeoverThatIsMalformedOrThatThisDaemonCannotMakeIsRefusedAndLeavesNothing()
      throws Exception {
    String header = new RemoteBuild.Request("Dockerfile", List.of()).encode();
    byte[] upload = tar(Map.of("dockerfile/Dockerfile", "FROM busybox\nRUN echo taken\n"));
    String listed = send("/v1/builds", "GET").body().strip();
    for (String hostile : List.of("../../x", "", "01M8JAV5NM9B35FYZ3AQ0SAYT%")) {
      Response answer = takeover(header, hostile, upload);
      assertEquals(400, answer.statusCode(), hostile + ": " + answer.body());
      assertTrue(answer.body().contains("Kiln-Resume header is not a build id"), answer.body());
    }
    // One engine, no cluster, no shared journal: nobody's build to take over.
    String unknown = dev.kiln.engine.job.BuildId.next().value();
    Response alone = takeover(header, unknown, upload);
    assertEquals(409, alone.statusCode(), alone.body());
    assertTrue(
        alone.body().contains("shares no job journal with other coordinators"), alone.body());
    Response asked = send("/v1/builds/" + unknown + "/takeover", "GET");
    assertEquals(409, asked.statusCode(), asked.body());
    assertTrue(asked.body().contains("shares no job journal"), asked.body());
    Response malformed = send("/v1/builds/..%2Fx/takeover", "GET");
    assertEquals(400, malformed.statusCode(), malformed.body());
    assertTrue(malformed.body().contains("not a build id"), malformed.body());
    assertTrue(alone.body().contains("cannot take build " + unknown + " over"), alone.body());
    assertEquals(listed, send("/v1/builds", "GET").body().strip(), "no build was added");
    assertEquals(404, send("/v1/builds/" + unknown, "GET").statusCode());
    assertFalse(Files.exists(root.resolve("sessions").resolve(unknown)), "no session is left");
  }

  /** A build sent again as build {@code id}, for this daemon to take over. */
  private Response takeover(String header, String id, byte[] upload) throws Exception {
    return send(
        "/v1/builds",
        "POST",
        Map.of(DaemonServer.BUILD_HEADER, header, DaemonServer.TAKEOVER_HEADER, id),
        upload);
  }

  @Test
  void anUnknownOrMalformedBuildIdGetsAClearErrorAndChangesNothing() throws Exception {
    String unknown = dev.kiln.engine.job.BuildId.next().value();
    // The root's ended jobs from before (the set-up's build) are listed too.
    String listed = send("/v1/builds", "GET").body().strip();
    for (String path : List.of("/v1/builds/" + unknown, "/v1/builds/" + unknown + "/cancel")) {
      Response answer = send(path, path.endsWith("cancel") ? "POST" : "GET");
      assertEquals(404, answer.statusCode(), path);
      assertTrue(answer.body().contains("no build with id " + unknown), answer.body());
    }
    Response malformed = send("/v1/builds/..%2F..%2Fetc/cancel", "POST");
    assertEquals(400, malformed.statusCode(), malformed.body());
    assertTrue(malformed.body().contains("not a build id"), malformed.body());

    Cli cancel = kiln("cancel", unknown);
    assertEquals(1, cancel.exit());
    assertTrue(cancel.err().contains("error: no build with id " + unknown), cancel.err());
    Cli notAnId = kiln("cancel", "../../x");
    assertEquals(1, notAnId.exit());
    assertTrue(notAnId.err().contains("not a build id"), notAnId.err());
    assertEquals(listed, send("/v1/builds", "GET").body().strip());
    assertFalse(listed.contains(unknown), listed);
  }

  @Test
  void buildsAreListedAndInspectedByTheIdTheClientShows() throws Exception {
    Path context = context("listed", "v1\n");
    Run run = build(context, "--tag", "listed");
    assertEquals(0, run.exit(), run.err());
    java.util.regex.Matcher shown =
        java.util.regex.Pattern.compile("#0 build ([0-9A-Z]{26})").matcher(run.err());
    assertTrue(shown.find(), run.err());
    String id = shown.group(1);

    var build =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(send("/v1/builds/" + id, "GET").body());
    assertEquals("succeeded", build.path("state").asText(), build.toString());
    assertEquals(0, build.path("exitCode").asInt(-1));
    assertEquals(
        count(run.err(), " DONE "), build.path("steps").path("completed").asInt(), run.err());

    Cli list = kiln("builds");
    assertEquals(0, list.exit(), list.err());
    assertTrue(
        list.out()
            .lines()
            .anyMatch(l -> l.startsWith(id) && l.contains("succeeded") && l.contains("listed")),
        list.out());
  }

  @Test
  void aBuildCancelledByIdStopsWhileAnotherBuildGoesOn() throws Exception {
    Path slow = context("slow", "x\n");
    Files.writeString(slow.resolve("Dockerfile"), "FROM busybox\nRUN echo started && sleep 600\n");
    CompletableFuture<Run> slowRun =
        CompletableFuture.supplyAsync(() -> unchecked(() -> build(slow)));
    String id = awaitRunningStep();

    Run other = build(context("other", "other\n"));
    assertEquals(0, other.exit(), other.err());

    Cli cancel = kiln("cancel", id);
    assertEquals(0, cancel.exit(), cancel.err());
    Run cancelled = slowRun.get(60, TimeUnit.SECONDS);
    assertEquals(1, cancelled.exit(), cancelled.err());
    assertTrue(cancelled.err().contains("cancelled"), cancelled.err());

    var build =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(send("/v1/builds/" + id, "GET").body());
    assertEquals("cancelled", build.path("state").asText(), build.toString());
    assertEquals("cancelled through the API", build.path("cancelled").asText());
    Response again = send("/v1/builds/" + id + "/cancel", "POST");
    assertEquals(409, again.statusCode(), again.body());
    assertTrue(again.body().contains("has already cancelled"), again.body());
  }

  @Test
  void duAndPruneWorkThroughTheDaemon() throws Exception {
    assertEquals(0, build(context("du", "v1\n")).exit());

    Cli du = kiln("du");
    assertEquals(0, du.exit(), du.err());
    assertTrue(du.out().contains("exec"), du.out());
    assertTrue(du.out().contains("Total:"), du.out());

    Cli prune = kiln("prune", "--all");
    assertEquals(0, prune.exit(), prune.err());
    java.util.regex.Matcher deleted =
        java.util.regex.Pattern.compile("Deleted (\\d+) records").matcher(prune.out());
    assertTrue(deleted.find(), prune.out());
    assertTrue(Integer.parseInt(deleted.group(1)) > 0, prune.out());
    assertFalse(kiln("du").out().contains("exec"));
    try (var copies = Files.list(root.resolve("contexts"))) {
      assertEquals(List.of(), copies.toList(), "prune --all keeps the contexts' copies");
    }

    for (String body : List.of("not json", "[]", "{\"all\":\"yes\"}", "{\"keepBytes\":-1}")) {
      Response bad = send("/v1/prune", "POST", Map.of(), body);
      assertEquals(400, bad.statusCode(), body + ": " + bad.body());
    }
    Response huge =
        send("/v1/prune", "POST", Map.of(), "{\"all\":true," + " ".repeat(1 << 20) + "}");
    assertEquals(413, huge.statusCode(), huge.body());
  }

  @Test
  void aSecretReachesOnlyTheBuildThatSentItAndNothingTheDaemonWrites() throws Exception {
    String value = "s3cr3t-" + java.util.UUID.randomUUID();
    String hash = dev.kiln.engine.graph.Digest.sha256(value).hex();
    Path context = context("secret", "x\n");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox\nRUN --mount=type=secret,id=token"
            + " test \"$(sha256sum < /run/secrets/token | cut -d' ' -f1)\" = "
            + hash
            + " && echo secret-seen\n");
    Run run = build(context, Map.of("token", value.getBytes(StandardCharsets.UTF_8)), "-t", "s");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("secret-seen"), run.err());

    // A later build that mounts the same id without sending it does not find it.
    Path other = context("no-secret", "y\n");
    Files.writeString(
        other.resolve("Dockerfile"),
        "FROM busybox\nRUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n");
    Run without = build(other);
    assertEquals(1, without.exit(), without.err());
    assertTrue(without.err().contains("secret \"token\" was not given"), without.err());

    assertFalse(send("/v1/builds", "GET").body().contains(value));
    server.close();
    engine.close(); // everything written and flushed
    byte[] needle = value.getBytes(StandardCharsets.UTF_8);
    try (var files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 0; i + needle.length <= bytes.length; i++) {
          if (bytes[i] == needle[0]
              && java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
            throw new AssertionError("the secret is in " + file);
          }
        }
      }
    }
    startDaemon();
  }

  @Test
  void malformedOrOversizedSecretsInAnUploadAreRefused() throws Exception {
    for (var upload :
        Map.of(
                "secret/../escape", "no secret",
                "secret/a/b", "no secret",
                "secret/", "no secret",
                "secret/big", "larger than 500 KiB")
            .entrySet()) {
      String content =
          switch (upload.getKey()) {
            case "secret/big" -> "x".repeat(600 * 1024);
            case "secret/" -> ""; // a directory
            default -> "v";
          };
      Response response =
          post(
              new RemoteBuild.Request("Dockerfile", List.of()).encode(),
              tar(
                  Map.of(
                      "context/app.txt",
                      "x\n",
                      "dockerfile/Dockerfile",
                      "FROM busybox\n",
                      upload.getKey(),
                      content)));
      assertEquals(400, response.statusCode(), upload.getKey() + ": " + response.body());
      assertTrue(response.body().contains(upload.getValue()), response.body());
    }
    try (var left = Files.list(root.resolve("sessions"))) {
      assertEquals(List.of(), left.toList(), "a refused upload was left behind");
    }
  }

  @Test
  void aSecondBuildSendsOnlyTheFilesThatChangedAndSeesDeletions() throws Exception {
    Path context = context("incremental", "v1\n");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox\nCOPY . /ctx\nRUN cat /ctx/app.txt && ls /ctx\n");
    Files.writeString(context.resolve("kept.txt"), "kept\n");
    Files.writeString(context.resolve("gone.txt"), "gone\n");
    String key = DaemonClient.contextKey(context);
    assertEquals(
        List.of(".dockerignore", "Dockerfile", "app.txt", "gone.txt", "kept.txt"),
        missing(key, context));

    assertEquals(0, build(context).exit());
    assertEquals(List.of(), missing(key, context), "the daemon's copy is complete");

    Files.writeString(context.resolve("app.txt"), "v2 changed\n");
    Files.delete(context.resolve("gone.txt"));
    assertEquals(List.of("app.txt"), missing(key, context));
    Run second = build(context);
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.err().contains("v2 changed"), second.err());
    assertFalse(
        second.err().contains("gone.txt"), "a deleted file reached the build: " + second.err());
    assertTrue(second.err().contains("kept.txt"), second.err());
  }

  private List<String> missing(String key, Path context) throws Exception {
    ContextManifest manifest = ContextManifest.of(context, List.of("secret.key"));
    Response answer =
        send(
            "/v1/contexts/" + key,
            "POST",
            Map.of(),
            manifest.write().getBytes(StandardCharsets.UTF_8));
    assertEquals(200, answer.statusCode(), answer.body());
    List<String> missing = new java.util.ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(answer.body())
        .path("missing")
        .forEach(p -> missing.add(p.asText()));
    java.util.Collections.sort(missing);
    return missing;
  }

  @Test
  void anIncrementalUploadThatIsMalformedStaleOrCorruptIsRefused() throws Exception {
    String key = "a".repeat(64);
    String manifest =
        "{\"path\":\"app.txt\",\"kind\":\"file\",\"mode\":420,\"size\":3,\"mtime\":1}\n";
    java.util.function.Function<Map<String, String>, byte[]> upload =
        files -> {
          try {
            Map<String, String> all = new java.util.HashMap<>(files);
            all.put("dockerfile/Dockerfile", "FROM busybox\n");
            return tar(all);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
    String header =
        new RemoteBuild.Request("Dockerfile", List.of()).withContextKey(Optional.of(key)).encode();

    // Listed but neither sent nor on the daemon: the client must ask again.
    Response stale = post(header, upload.apply(Map.of(ContextManifest.ENTRY, manifest)));
    assertEquals(409, stale.statusCode(), stale.body());
    assertTrue(stale.body().contains("send the build again"), stale.body());

    // Sent with a digest it does not have.
    Response corrupt = post(header, digestTar(manifest, "app.txt", "abc", "0".repeat(64)));
    assertEquals(400, corrupt.statusCode(), corrupt.body());
    assertTrue(corrupt.body().contains("did not arrive whole"), corrupt.body());

    String[][] bad = {
      {
        "{\"path\":\"../x\",\"kind\":\"file\",\"mode\":420,\"size\":1,\"mtime\":1}",
        "not a path inside"
      },
      {"{\"path\":\"x\",\"kind\":\"fifo\",\"mode\":420,\"size\":1,\"mtime\":1}", "kind must be"},
      {manifest.strip() + "\n" + manifest.strip(), "comes twice"},
      {"{\"path\":\"x\",\"kind\":\"symlink\",\"mode\":511,\"size\":0,\"mtime\":0}", "has a link"},
      {"not json", "context manifest line 1"},
    };
    for (String[] c : bad) {
      Response question = send("/v1/contexts/" + key, "POST", Map.of(), c[0]);
      assertEquals(400, question.statusCode(), c[0] + ": " + question.body());
      assertTrue(question.body().contains(c[1]), question.body());
      Response build = post(header, upload.apply(Map.of(ContextManifest.ENTRY, c[0])));
      assertEquals(400, build.statusCode(), c[0] + ": " + build.body());
    }
    Response badKey = send("/v1/contexts/..%2F..", "POST", Map.of(), manifest);
    assertEquals(400, badKey.statusCode(), badKey.body());
    Response noManifest = post(header, upload.apply(Map.of("context/app.txt", "abc")));
    assertEquals(400, noManifest.statusCode(), noManifest.body());
    assertFalse(Files.exists(root.resolve("contexts").resolve(key).resolve("tree/app.txt")));
  }

  @Test
  void anUploadThatReachesThroughASymlinkOrCarriesStrayDirectoriesIsRefused() throws Exception {
    Path victim = Files.createDirectories(temp.resolve("victim"));
    Files.writeString(victim.resolve("secret.txt"), "daemon-only\n");
    String key = "b".repeat(64);
    String header =
        new RemoteBuild.Request("Dockerfile", List.of()).withContextKey(Optional.of(key)).encode();
    String file = "{\"path\":\"%s\",\"kind\":\"file\",\"mode\":420,\"size\":12,\"mtime\":1}";
    String dir = "{\"path\":\"%s\",\"kind\":\"directory\",\"mode\":493,\"size\":0,\"mtime\":0}";
    String link =
        "{\"path\":\"a\",\"kind\":\"symlink\",\"mode\":511,\"size\":0,\"mtime\":0,\"link\":\""
            + victim
            + "\"}";

    // A manifest whose file lies below its own symlink would be written through it.
    String throughLink = link + "\n" + file.formatted("a/secret.txt") + "\n";
    Response question = send("/v1/contexts/" + key, "POST", Map.of(), throughLink);
    assertEquals(400, question.statusCode(), question.body());
    assertTrue(question.body().contains("lies below a symlink"), question.body());

    // The upload's context, or a directory in it, a symlink to a directory of the daemon's.
    byte[] contextIsALink =
        linkTar(
            Map.of(ContextManifest.ENTRY, file.formatted("secret.txt") + "\n"),
            Map.of("context", victim.toString()));
    byte[] subdirIsALink =
        linkTar(
            Map.of(
                ContextManifest.ENTRY,
                dir.formatted("sub") + "\n" + file.formatted("sub/secret.txt") + "\n"),
            Map.of("context/sub", victim.toString()));
    for (byte[] upload : List.of(contextIsALink, subdirIsALink)) {
      Response build = post(header, upload);
      assertEquals(400, build.statusCode(), build.body());
      assertTrue(build.body().contains("symlink"), build.body());
    }
    assertEquals("daemon-only\n", Files.readString(victim.resolve("secret.txt")));
    assertFalse(Files.exists(root.resolve("contexts").resolve(key).resolve("tree/secret.txt")));
    assertFalse(Files.exists(root.resolve("contexts").resolve(key).resolve("tree/sub/secret.txt")));

    // A directory the request names without its manifest, or files for one it does not name.
    String other = "c".repeat(64);
    String withDir =
        new RemoteBuild.Request("Dockerfile", List.of())
            .withDirs(List.of(new SyncedDir(other, new SyncedDir.NamedContext("extra"))))
            .encode();
    Map<String, String> files =
        Map.of("context/app.txt", "x\n", "dockerfile/Dockerfile", "FROM busybox\n");
    Response unlisted = post(withDir, tar(files));
    assertEquals(400, unlisted.statusCode(), unlisted.body());
    assertTrue(unlisted.body().contains("has no dirs/" + other + ".manifest"), unlisted.body());
    Map<String, String> stray = new java.util.HashMap<>(files);
    stray.put("dirs/" + other + "/x", "x\n");
    Response strayFiles =
        post(new RemoteBuild.Request("Dockerfile", List.of()).encode(), tar(stray));
    assertEquals(400, strayFiles.statusCode(), strayFiles.body());
    assertTrue(strayFiles.body().contains("for no directory of the request"), strayFiles.body());

    for (String dirs :
        List.of(
            "[{\"key\":\"zz\",\"context\":\"x\"}]",
            "[{\"key\":\"" + other + "\"}]",
            "[{\"key\":\"" + other + "\",\"context\":\"x\",\"cache\":true}]",
            "[{\"key\":\"" + other + "\",\"local\":\"x\",\"cache\":true}]",
            "[{\"key\":\"" + other + "\",\"local\":\"\"}]",
            "[{\"key\":\"" + other + "\",\"context\":\"x\",\"layout\":\"/etc\"}]",
            "[{\"key\":\"" + other + "\",\"context\":\"x\",\"layout\":\":a/b\"}]",
            "[{\"key\":\"" + other + "\",\"context\":\"../x\"}]",
            "{}")) {
      String raw =
          java.util.Base64.getUrlEncoder()
              .encodeToString(
                  ("{\"dockerfile\":\"Dockerfile\",\"args\":[],\"dirs\":" + dirs + "}")
                      .getBytes(StandardCharsets.UTF_8));
      Response malformed = post(raw, tar(files));
      assertEquals(400, malformed.statusCode(), dirs + ": " + malformed.body());
      assertTrue(malformed.body().contains("dirs"), dirs + ": " + malformed.body());
    }
    Response graphWithContext =
        post(
            new RemoteBuild.Request("graph.json", List.of())
                .withContextKey(Optional.of("d".repeat(64)))
                .asDefinition()
                .encode(),
            tar(files));
    assertEquals(400, graphWithContext.statusCode(), graphWithContext.body());
    assertTrue(graphWithContext.body().contains("has no context"), graphWithContext.body());
  }

  /** A build upload: {@code files} as files, {@code links} as symlinks, and a Dockerfile. */
  private static byte[] linkTar(Map<String, String> files, Map<String, String> links)
      throws Exception {
    Map<String, String> all = new java.util.TreeMap<>(files);
    all.put("dockerfile/Dockerfile", "FROM busybox\n");
    return tar(all, links);
  }

  private static byte[] digestTar(String manifest, String path, String content, String digest)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      for (String[] file :
          new String[][] {
            {ContextManifest.ENTRY, manifest},
            {"dockerfile/Dockerfile", "FROM busybox\n"},
            {"context/" + path, content}
          }) {
        byte[] data = file[1].getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file[0], true);
        entry.setSize(data.length);
        if (file[0].startsWith("context/")) {
          entry.addPaxHeader(ContextManifest.DIGEST_HEADER, digest);
        }
        tar.putArchiveEntry(entry);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void fileOutputsAreWrittenOnTheClientFromWhatTheDaemonKeptOnce() throws Exception {
    Path context = context("outputs", "payload\n");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox AS b\nRUN echo built > /built.txt\nFROM scratch\nCOPY --from=b /built.txt /out/built.txt\nCOPY app.txt /out/app.txt\n");
    Path dir = temp.resolve("local-out");
    Run local = build(context, Map.of(), Optional.of("type=local,dest=" + dir));
    assertEquals(0, local.exit(), local.err());
    assertTrue(Files.exists(dir.resolve("out/built.txt")), local.err());
    assertEquals("built\n", Files.readString(dir.resolve("out/built.txt")));
    assertEquals("payload\n", Files.readString(dir.resolve("out/app.txt")));

    Path tarFile = temp.resolve("out.tar");
    Run tar = build(context, Map.of(), Optional.of("type=tar,dest=" + tarFile));
    assertEquals(0, tar.exit(), tar.err());
    List<String> names = new java.util.ArrayList<>();
    try (var in =
        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
            Files.newInputStream(tarFile))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertTrue(names.stream().anyMatch(n -> n.endsWith("out/built.txt")), names.toString());

    Path oci = temp.resolve("image.tar");
    Run image = build(context, Map.of(), Optional.of("type=oci,dest=" + oci + ",name=app:1"));
    assertEquals(0, image.exit(), image.err());
    assertTrue(Files.size(oci) > 0);

    java.util.regex.Matcher id =
        java.util.regex.Pattern.compile("#0 build ([0-9A-Z]{26})").matcher(image.err());
    assertTrue(id.find());
    Response again = send("/v1/builds/" + id.group(1) + "/output", "GET");
    assertEquals(404, again.statusCode(), "the client said it has the output: " + again.body());
    // The link it was sent through goes once its stream has ended (a moment later).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (var left = Files.list(root.resolve("outputs"))) {
        if (left.findAny().isEmpty()) {
          break;
        }
      }
      assertTrue(System.nanoTime() < deadline, "a fetched output was left behind");
      Thread.onSpinWait();
    }
  }

  @Test
  void theMetadataFileIsWrittenOnTheClient() throws Exception {
    Path context = context("metadata", "x\n");
    Path metadata = temp.resolve("meta/build.json");
    Files.createDirectories(metadata.getParent());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int exit =
        DaemonClient.build(
            address,
            DaemonClient.Job.of(context, List.of("--tag", "meta"))
                .withMetadataFile(Optional.of(metadata)),
            "quiet",
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertEquals(0, exit, bytes.toString(StandardCharsets.UTF_8));
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metadata.toFile());
    String digest = json.path("containerimage.digest").asText();
    assertTrue(digest.startsWith("sha256:"), json.toString());
    assertEquals(
        digest,
        engine.images().find("docker.io/library/meta:latest").orElseThrow().digest().toString());
  }

  @Test
  void anOutputRequestThatNamesADaemonPathIsRefused() throws Exception {
    Map<String, String> files =
        Map.of("context/app.txt", "x\n", "dockerfile/Dockerfile", "FROM busybox\n");
    for (String output :
        List.of("type=tar,dest=/etc/passwd", "type=local", "type=image,name=x", "type=nope")) {
      Response answer =
          post(
              new RemoteBuild.Request("Dockerfile", List.of())
                  .withOutput(Optional.of(output))
                  .encode(),
              tar(files));
      assertEquals(400, answer.statusCode(), output + ": " + answer.body());
    }
    Response inArgs =
        post(
            new RemoteBuild.Request("Dockerfile", List.of("--output", "type=tar,dest=/tmp/x"))
                .encode(),
            tar(files));
    assertEquals(400, inArgs.statusCode(), inArgs.body());
    assertTrue(inArgs.body().contains("--output: a file output is the request's"), inArgs.body());
  }

  @Test
  void anUploadThatEscapesItsDirectoryIsRefusedAndWritesNothingOutside() throws Exception {
    byte[] tar = tar("context/../../escaped.txt", "gotcha");
    Response response = post(new RemoteBuild.Request("Dockerfile", List.of()).encode(), tar);

    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains("leaves the upload's directory"), response.body());
    assertFalse(Files.exists(root.resolve("escaped.txt")));
    try (var left = Files.list(root.resolve("sessions"))) {
      assertEquals(List.of(), left.toList(), "the refused upload was left behind");
    }
  }

  @Test
  void anUploadLargerThanTheLimitIsRefused() throws Exception {
    byte[] tar = tar("context/big.bin", "x".repeat((int) UPLOAD_LIMIT + 1));
    Response response = post(new RemoteBuild.Request("Dockerfile", List.of()).encode(), tar);
    assertEquals(413, response.statusCode(), response.body());
  }

  @Test
  void aClientThatGoesAwayLeavesItsBuildRunningAndGetsTheRestWhenItComesBack() throws Exception {
    byte[] upload =
        tar(
            java.util.Map.of(
                "context/app.txt", "x\n",
                "dockerfile/Dockerfile",
                    "FROM busybox\nRUN echo started && sleep 2 && echo finished\n"));
    DaemonHttp.Answer http =
        DaemonHttp.exchange(
            address,
            "POST",
            "/v1/builds",
            Map.of(
                DaemonServer.BUILD_HEADER,
                new RemoteBuild.Request("Dockerfile", List.of()).encode()),
            Optional.of(out -> out.write(upload)));
    assertEquals(200, http.status());
    var lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(http.body(), StandardCharsets.UTF_8));
    List<String> seen = new java.util.ArrayList<>();
    for (String line = lines.readLine(); !line.contains("\"line\":\"started\""); ) {
      if (!line.contains("\"tick\"")) {
        seen.add(line);
      }
      line = lines.readLine();
    }
    String id = awaitRunningStep();
    http.close(); // the client goes away while the step runs

    // It comes back for what it has not seen: the rest of the build, which ran to its end.
    DaemonHttp.Answer again =
        DaemonHttp.exchange(
            address,
            "GET",
            "/v1/builds/" + id + "/events?after=" + seen.size(),
            Map.of(),
            Optional.empty());
    assertEquals(200, again.status());
    String rest = new String(again.body().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(rest.startsWith("{\"type\":\"log\""), "it goes on after what was seen: " + rest);
    assertTrue(rest.contains("\"line\":\"finished\""), rest);
    assertTrue(rest.strip().endsWith("{\"type\":\"exit\",\"code\":0}"), rest);
    assertTrue(send("/v1/builds/" + id, "GET").body().contains("\"succeeded\""));

    // Every line from the first, for another client (kiln attach).
    String all = send("/v1/builds/" + id + "/events", "GET").body();
    assertTrue(all.startsWith("{\"type\":\"build\",\"id\":\"" + id + "\"}"), all);
    assertEquals(400, send("/v1/builds/" + id + "/events?after=-1", "GET").statusCode());
    assertEquals(
        404,
        send("/v1/builds/" + dev.kiln.engine.job.BuildId.next() + "/events", "GET").statusCode());
  }

  /** Waits for a build whose step has started; its id. */
  private String awaitRunningStep() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (var build :
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(send("/v1/builds", "GET").body())
              .path("builds")) {
        if (build.path("state").asText().equals("running")
            && build.path("steps").path("started").asInt() >= 2) {
          return build.path("id").asText();
        }
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no build started its step");
  }

  /** An answer's status and body. */
  record Response(int statusCode, String body) {}

  private Response send(String path, String method) throws Exception {
    return send(path, method, Map.of(), method.equals("POST") ? "" : null);
  }

  /** One request ({@code body} null: none) through the client's own HTTP. */
  private Response send(String path, String method, Map<String, String> headers, String body)
      throws Exception {
    byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    return send(path, method, headers, bytes);
  }

  private Response send(String path, String method, Map<String, String> headers, byte[] body)
      throws Exception {
    try (DaemonHttp.Answer answer =
        DaemonHttp.exchange(
            address,
            method,
            path,
            headers,
            body == null ? Optional.empty() : Optional.of(new DaemonHttp.Sized(body)))) {
      return new Response(
          answer.status(), new String(answer.body().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private record Cli(int exit, String out, String err) {}

  /** Runs {@code kiln COMMAND --addr ADDR [TLS flags] ARGS} against the test's daemon. */
  private Cli kiln(String command, String... args) {
    List<String> line = new java.util.ArrayList<>(List.of(command, "--addr", address.toString()));
    line.addAll(clientFlags());
    line.addAll(List.of(args));
    return cli(line.toArray(String[]::new));
  }

  /** What else a client command needs to reach the daemon (a subclass adds its certificates). */
  List<String> clientFlags() {
    return List.of();
  }

  /** Runs {@code kiln ARGS} in this process; its exit code, standard output and error. */
  private static Cli cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exit = KilnCommand.run(args);
      return new Cli(
          exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @FunctionalInterface
  private interface Call<T> {
    T call() throws Exception;
  }

  private static <T> T unchecked(Call<T> call) {
    try {
      return call.call();
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  private Response post(String header, byte[] body) throws Exception {
    return send("/v1/builds", "POST", Map.of(DaemonServer.BUILD_HEADER, header), body);
  }

  private static byte[] upload(Path context, String name) throws Exception {
    return tar(name, Files.readString(context.resolve("app.txt")));
  }

  private static byte[] tar(String name, String content) throws Exception {
    return tar(java.util.Map.of(name, content));
  }

  private static byte[] tar(java.util.Map<String, String> files) throws Exception {
    return tar(files, Map.of());
  }

  /** {@code links} as symlinks (first), then {@code files}. */
  private static byte[] tar(Map<String, String> files, Map<String, String> links) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (var link : links.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(link.getKey(), TarArchiveEntry.LF_SYMLINK);
        entry.setLinkName(link.getValue());
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
      }
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

package dev.kiln.frontend.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.solver.SolveError;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.gateway.client.Frames;
import dev.kiln.gateway.client.Gateway;
import dev.kiln.gateway.client.GatewayException;
import dev.kiln.gateway.client.GatewayMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln's side of the gateway, talking to the Java client over real pipes; the engine behind it is a
 * stand-in (the end-to-end tests run real frontends on a real engine).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DEFINITION =
      "{\"vertices\": [{\"id\": \"ctx\", \"op\": {\"type\": \"source\", \"identifier\":"
          + " \"local://context\"}}], \"root\": {\"vertex\": \"ctx\"}}";

  @TempDir Path context;
  InputStream frontendIn;
  OutputStream frontendOut;
  CompletableFuture<Void> conversation;
  GatewayServer server;
  Optional<Outcome> evaluated = Optional.empty();

  private final GatewayBackend backend =
      new GatewayBackend() {
        @Override
        public CompletionStage<Outcome> solve(Definition definition) {
          return CompletableFuture.completedFuture(evaluated.orElseThrow());
        }

        @Override
        public JsonNode imageConfig(String identifier) throws IOException {
          if (!identifier.equals("docker-image://busybox")) {
            throw new IOException("no image " + identifier);
          }
          return JSON.readTree("{\"config\": {\"Env\": [\"PATH=/bin\"]}}");
        }

        @Override
        public MountedFs mount(Snapshot snapshot) throws IOException {
          throw new IOException("no views here");
        }
      };

  @BeforeEach
  void setUp() throws IOException {
    Files.writeString(context.resolve("Kilnfile"), "a: echo a\n");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (frontendOut != null) {
      frontendOut.close();
    }
  }

  /** Starts the server on pipes; the test plays the frontend on the other ends. */
  private void start(Duration idle) throws IOException {
    Pipe toFrontend = Pipe.open();
    Pipe fromFrontend = Pipe.open();
    frontendIn = Channels.newInputStream(toFrontend.source());
    frontendOut = Channels.newOutputStream(fromFrontend.sink());
    server =
        new GatewayServer(
            "test-frontend",
            new GatewayMessage.Hello(
                1, Map.of("filename", "Kilnfile"), List.of("context"), "oci-layout:///f:latest"),
            new GatewayServer.Grant(
                Map.of("context", context), Set.of("context"), Set.of(Path.of("/layouts/base"))),
            backend,
            idle);
    InputStream serverIn = Channels.newInputStream(fromFrontend.source());
    OutputStream serverOut = Channels.newOutputStream(toFrontend.sink());
    conversation =
        CompletableFuture.runAsync(
            () -> {
              try (serverIn;
                  serverOut) {
                server.talk(serverIn, serverOut);
              } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
  }

  private Gateway connect() throws IOException {
    start(GatewayServer.DEFAULT_IDLE);
    return Gateway.connect(frontendIn, frontendOut);
  }

  /** The conversation's failure, which must come. */
  private String failure() {
    Exception thrown = assertThrows(Exception.class, () -> conversation.get(30, TimeUnit.SECONDS));
    Throwable cause = thrown.getCause();
    while (cause instanceof java.util.concurrent.CompletionException) {
      cause = cause.getCause();
    }
    assertTrue(cause instanceof FrontendException, String.valueOf(cause));
    return cause.getMessage();
  }

  @Test
  void aFrontendReadsTheContextSolvesAndReturnsItsResultWithAConfig() throws Exception {
    Gateway gateway = connect();
    assertEquals(Map.of("filename", "Kilnfile"), gateway.opts());
    assertEquals("oci-layout:///f:latest", gateway.frontend());

    byte[] kilnfile = gateway.readFile("context", "Kilnfile");
    List<GatewayMessage.Entry> entries = gateway.readDir("context", "/");
    GatewayMessage.FileStat stat = gateway.stat("context", "Kilnfile");
    GatewayMessage.ImageConfig image = gateway.resolveImageConfig("busybox");
    String ref = gateway.solve(JSON.readTree(DEFINITION), false);
    gateway.ret(
        new GatewayMessage.Return(
            Optional.of(ref),
            Optional.of(JSON.readTree("{\"config\": {\"Cmd\": [\"sh\"]}}")),
            Map.of("k", "v"),
            Optional.empty()));
    conversation.get(30, TimeUnit.SECONDS);

    assertArrayEquals("a: echo a\n".getBytes(StandardCharsets.UTF_8), kilnfile);
    assertEquals(List.of("Kilnfile"), entries.stream().map(GatewayMessage.Entry::name).toList());
    assertEquals("file", stat.kind());
    assertEquals(10, stat.size());
    assertTrue(image.digest().startsWith("sha256:"), image.digest());
    FrontendResult result = server.result();
    assertEquals(DefinitionReader.parse(DEFINITION, "x", null), result.definition());
    assertEquals("sh", result.config().orElseThrow().at("/config/Cmd/0").asText());
    assertEquals(Map.of("k", "v"), result.metadata());
  }

  @Test
  void aMissingFileOrALinkOutOfTheContextIsAnErrorAnswerAndTheFrontendGoesOn() throws Exception {
    Files.createSymbolicLink(context.resolve("escape"), Path.of("/etc/hostname"));
    Gateway gateway = connect();

    GatewayException missing =
        assertThrows(GatewayException.class, () -> gateway.readFile("context", "nope"));
    GatewayException escape =
        assertThrows(GatewayException.class, () -> gateway.readFile("context", "escape"));
    gateway.ret(
        new GatewayMessage.Return(
            Optional.empty(), Optional.empty(), Map.of(), Optional.of("nothing to build")));
    conversation.get(30, TimeUnit.SECONDS);

    assertTrue(missing.getMessage().contains("nope: no such file"), missing.getMessage());
    // The link's target is taken inside the context, where it does not exist.
    assertTrue(escape.getMessage().contains("no such file"), escape.getMessage());
    FrontendException returned = assertThrows(FrontendException.class, server::result);
    assertEquals("frontend test-frontend failed: nothing to build", returned.getMessage());
  }

  @Test
  void aPathThatClimbsOutOfItsRefEndsTheBuild() throws Exception {
    Gateway gateway = connect();
    CompletableFuture.runAsync(
        () -> {
          try {
            gateway.readFile("context", "../../etc/passwd");
          } catch (IOException e) {
            // The server hangs up: expected.
          }
        });

    assertTrue(failure().contains("asked for ../../etc/passwd, a path outside"));
  }

  @Test
  void definitionsThatReadWhatTheBuildDidNotGiveAreRefusedWithTheReason() throws Exception {
    Gateway gateway = connect();
    String foreignLocal = DEFINITION.replace("local://context", "local://home");
    String foreignLayout = DEFINITION.replace("local://context", "oci-layout:///etc/layout:latest");

    GatewayException local =
        assertThrows(
            GatewayException.class, () -> gateway.solve(JSON.readTree(foreignLocal), false));
    GatewayException layout =
        assertThrows(
            GatewayException.class, () -> gateway.solve(JSON.readTree(foreignLayout), false));
    GatewayException garbage =
        assertThrows(
            GatewayException.class,
            () -> gateway.solve(JSON.readTree("{\"vertices\": [{\"id\": 1}]}"), false));

    assertTrue(local.getMessage().contains("local://home is not an input of this build"));
    assertTrue(layout.getMessage().contains("a host layout the build did not give"));
    assertTrue(garbage.getMessage().contains("solve"), garbage.getMessage());
  }

  @Test
  void aFailedEvaluationNamesTheStep() throws Exception {
    Digest vertex = Digest.sha256("x".getBytes(StandardCharsets.UTF_8));
    evaluated =
        Optional.of(
            new Outcome.SolveFailed(
                new SolveError(vertex, "sh -c make", "exit code 2", List.of("make: *** boom"))));
    Gateway gateway = connect();

    GatewayException failed =
        assertThrows(GatewayException.class, () -> gateway.solve(JSON.readTree(DEFINITION), true));

    assertTrue(failed.getMessage().contains("[sh -c make]"), failed.getMessage());
    assertTrue(failed.getMessage().contains("boom"), failed.getMessage());
  }

  @Test
  void anEvaluatedSolveAnswersWithARef() throws Exception {
    evaluated =
        Optional.of(
            new Outcome.Solved(
                new SnapshotResult(Snapshot.SCRATCH), new CacheKey(Digest.sha256(new byte[] {1}))));
    Gateway gateway = connect();

    assertEquals("r1", gateway.solve(JSON.readTree(DEFINITION), true));
  }

  @Test
  void aReturnRightAfterASolveFindsItsRef() throws Exception {
    start(GatewayServer.DEFAULT_IDLE);
    Frames.read(frontendIn); // hello
    for (String json :
        List.of(
            "{\"type\":\"hello\",\"version\":1}",
            "{\"type\":\"solve\",\"id\":1,\"definition\":" + DEFINITION + "}",
            "{\"type\":\"return\",\"ref\":\"r1\"}")) {
      Frames.write(frontendOut, json.getBytes(StandardCharsets.UTF_8));
    }
    conversation.get(30, TimeUnit.SECONDS);

    assertEquals(DefinitionReader.parse(DEFINITION, "x", null), server.result().definition());
  }

  @Test
  void aFrontendThatStopsReadingItsAnswersIsStuck() throws Exception {
    Files.write(context.resolve("big"), new byte[256 * 1024]);
    start(Duration.ofMillis(300));
    Frames.write(
        frontendOut, "{\"type\":\"hello\",\"version\":1}".getBytes(StandardCharsets.UTF_8));
    // Asks, and never reads: the answers fill the pipe.
    for (int id = 1; id <= 40; id++) {
      Frames.write(
          frontendOut,
          ("{\"type\":\"read-file\",\"id\":" + id + ",\"ref\":\"context\",\"path\":\"big\"}")
              .getBytes(StandardCharsets.UTF_8));
    }

    assertTrue(failure().contains("has not read Kiln's answers for"));
  }

  @Test
  void garbageEndsTheBuildSayingSo() throws Exception {
    connect();
    Frames.write(frontendOut, "not json at all".getBytes(StandardCharsets.UTF_8));

    assertTrue(failure().contains("frontend test-frontend sent garbage"));
  }

  @Test
  void closingTheOutputBeforeReturningEndsTheBuildSayingSo() throws Exception {
    connect();
    frontendOut.close();

    assertTrue(failure().contains("closed its output before returning a result"));
  }

  @Test
  void aHugeFrameIsRefusedBeforeItIsRead() throws Exception {
    connect();
    frontendOut.write(new byte[] {0x02, 0, 0, 0}); // 32 MiB announced; nothing follows
    frontendOut.flush();

    assertTrue(failure().contains("frames hold 1 byte to"));
  }

  @Test
  void aFrontendThatNeverAnswersTimesOut() throws Exception {
    start(Duration.ofMillis(300));

    assertTrue(failure().contains("sent nothing for"));
  }

  @Test
  void anotherVersionIsRefusedNamingBoth() throws Exception {
    start(GatewayServer.DEFAULT_IDLE);
    Frames.read(frontendIn);
    Frames.write(
        frontendOut, "{\"type\":\"hello\",\"version\":7}".getBytes(StandardCharsets.UTF_8));

    assertTrue(failure().contains("speaks gateway API version 7; Kiln speaks 1"));
  }
}

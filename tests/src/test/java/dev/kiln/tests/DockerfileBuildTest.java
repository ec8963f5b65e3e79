package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.engine.graph.Digest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln build CONTEXT} on real Dockerfiles, real steps and real outputs. */
class DockerfileBuildTest {
  @TempDir Path temp;
  Path context;
  DockerfileBuilds builds;

  @BeforeEach
  void context() throws Exception {
    builds = new DockerfileBuilds(temp);
    context = builds.context;
  }

  private KilnRun kiln(String dockerfile, String... extra) throws Exception {
    return builds.build(dockerfile, extra);
  }

  private String out(String path) throws Exception {
    return builds.out(path);
  }

  @Test
  void independentStagesRunAtTheSameTimeAndTheFinalStageHasBoth() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox AS stage1
            RUN mkdir -p /opt && echo one > /opt/stage1 && sleep 1
            FROM busybox AS stage2
            RUN mkdir -p /opt && echo two > /opt/stage2 && sleep 1
            FROM busybox
            COPY --from=stage1 /opt /opt
            COPY --from=stage2 /opt /opt
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("one\n", out("opt/stage1"));
    assertEquals("two\n", out("opt/stage2"));
    // Both RUN steps start before either is done: their two headers precede the first DONE.
    List<String> lines = run.err().lines().toList();
    List<Integer> runStarts = new ArrayList<>();
    int firstRunDone = Integer.MAX_VALUE;
    List<String> runIds = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.matches("#\\d+ \\[stage\\d 2/2\\] RUN .*")) {
        runStarts.add(i);
        runIds.add(line.substring(0, line.indexOf(' ')));
      } else if (line.matches("#\\d+ DONE .*")
          && runIds.contains(line.substring(0, line.indexOf(' ')))) {
        firstRunDone = Math.min(firstRunDone, i);
      }
    }
    assertEquals(2, runStarts.size(), run.err());
    assertTrue(runStarts.get(1) < firstRunDone, run.err());
  }

  @Test
  void dockerignoreKeepsFilesOutOfTheContext() throws Exception {
    Files.writeString(context.resolve("app.txt"), "app\n");
    Files.writeString(context.resolve("secret.key"), "secret\n");
    Files.writeString(context.resolve(".dockerignore"), "*.key\n");
    KilnRun run = kiln("FROM busybox\nCOPY . /ctx/\n");
    assertEquals(0, run.exit(), run.err());
    assertEquals("app\n", out("ctx/app.txt"));
    assertFalse(Files.exists(temp.resolve("out/ctx/secret.key")));
  }

  @Test
  void buildArgsAndTargetsChooseWhatIsBuilt() throws Exception {
    String dockerfile =
        """
        ARG GREETING=hello
        FROM busybox AS greet
        ARG GREETING
        RUN echo "$GREETING" > /greeting
        FROM busybox AS other
        RUN echo other > /other
        """;
    KilnRun run = kiln(dockerfile, "--target", "greet", "--build-arg", "GREETING=bonjour");
    assertEquals(0, run.exit(), run.err());
    assertEquals("bonjour\n", out("greeting"));
    assertFalse(Files.exists(temp.resolve("out/other")));
    assertFalse(run.err().contains("echo other"), "the other stage must not run");
  }

  @Test
  void namedContextsReplaceStagesAndImages() throws Exception {
    Path extra = Files.createDirectories(temp.resolve("extra"));
    Files.writeString(extra.resolve("data.txt"), "from a named context\n");
    KilnRun run =
        kiln(
            "FROM busybox\nCOPY --from=extra data.txt /data.txt\nRUN cat /data.txt > /seen\n",
            "--build-context",
            "extra=" + extra);
    assertEquals(0, run.exit(), run.err());
    assertEquals("from a named context\n", out("seen"));
  }

  @Test
  void instructionsShapeTheFilesystem() throws Exception {
    Files.writeString(context.resolve("conf.txt"), "conf\n");
    KilnRun run =
        kiln(
            """
            FROM busybox
            ENV DIR=/srv/app
            WORKDIR $DIR
            COPY --chown=1000:1000 --chmod=600 conf.txt ./
            COPY <<EOF /srv/app/notes.txt
            written by a heredoc
            EOF
            USER 1000
            RUN id -u > /tmp/uid.txt; ls -ln conf.txt > /tmp/conf.ls
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("conf\n", out("srv/app/conf.txt"));
    assertEquals("written by a heredoc\n", out("srv/app/notes.txt"));
    assertEquals("1000\n", out("tmp/uid.txt"));
    // Inside a non-root step only its own ids are mapped; on disk the owner is exact.
    assertTrue(out("tmp/conf.ls").startsWith("-rw-------    1 1000 "), out("tmp/conf.ls"));
    assertEquals(1000, Files.getAttribute(temp.resolve("out/srv/app/conf.txt"), "unix:gid"));
  }

  @Test
  void aTypoShowsTheLineAndTheNearestInstruction() throws Exception {
    KilnRun run = kiln("FROM busybox\nRUNN echo hi\n");
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("Dockerfile:2"), run.err());
    assertTrue(run.err().contains(">>> RUNN echo hi"), run.err());
    assertTrue(run.err().contains("unknown instruction: RUNN (did you mean RUN?)"), run.err());
  }

  @Test
  void aFailingRunNamesItsStageStepAndOutput() throws Exception {
    KilnRun run = kiln("FROM busybox AS build\nRUN echo compiling; exit 3\n");
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("[build 2/2] RUN echo compiling; exit 3"), run.err());
    assertTrue(run.err().contains("exit code: 3"), run.err());
    assertTrue(run.err().contains("compiling"), run.err());
  }

  @Test
  void aCopySourceThatMatchesNothingIsAnError() throws Exception {
    KilnRun run = kiln("FROM busybox\nCOPY missing.txt /\n");
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("missing.txt"), run.err());
  }

  @Test
  void addUnpacksLocalArchivesAndCopyDoesNot() throws Exception {
    Path payload = Files.createDirectories(temp.resolve("payload/tool"));
    Files.writeString(payload.resolve("README"), "packed\n");
    Process tar =
        new ProcessBuilder(
                "tar",
                "-czf",
                context.resolve("tool.tar.gz").toString(),
                "-C",
                temp.resolve("payload").toString(),
                "tool")
            .inheritIO()
            .start();
    assertEquals(0, tar.waitFor());
    KilnRun run = kiln("FROM busybox\nADD tool.tar.gz /opt/\nCOPY tool.tar.gz /archives/\n");
    assertEquals(0, run.exit(), run.err());
    assertEquals("packed\n", out("opt/tool/README"));
    assertTrue(Files.isRegularFile(temp.resolve("out/archives/tool.tar.gz")));
  }

  @Test
  void addDownloadsUrlsAndChecksTheirChecksum() throws Exception {
    byte[] body = "downloaded over http\n".getBytes(StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/files/tool.txt",
        exchange -> {
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/files/tool.txt";
      String sum = Digest.sha256(body).value();
      KilnRun run = kiln("FROM busybox\nADD --checksum=" + sum + " " + url + " /opt/\n");
      assertEquals(0, run.exit(), run.err());
      assertEquals("downloaded over http\n", out("opt/tool.txt"));
      assertEquals(
          0600,
          (Integer) Files.getAttribute(temp.resolve("out/opt/tool.txt"), "unix:mode") & 07777);

      String wrong = Digest.sha256("something else").value();
      KilnRun mismatch = kiln("FROM busybox\nADD --checksum=" + wrong + " " + url + " /opt/\n");
      assertEquals(1, mismatch.exit());
      assertTrue(mismatch.err().contains(wrong), mismatch.err());

      KilnRun missing =
          kiln("FROM busybox\nADD " + url.replace("tool.txt", "nope.txt") + " /opt/\n");
      assertEquals(1, missing.exit());
      assertTrue(missing.err().contains("HTTP 404"), missing.err());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void runHeredocsFeedTheShell() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox
            RUN <<EOF
            echo from a script > /script.txt
            EOF
            RUN cat <<A > /a.txt && cat <<'B' > /b.txt
            first $HOME
            A
            second $HOME
            B
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("from a script\n", out("script.txt"));
    assertEquals("first /root\n", out("a.txt"));
    assertEquals("second $HOME\n", out("b.txt"));
  }

  @Test
  void everyConfigInstructionReachesTheImageConfiguration() throws Exception {
    Path metadata = temp.resolve("metadata.json");
    KilnRun run =
        kiln(
            """
            FROM busybox
            ARG VERSION=1.2
            ENV APP_VERSION=$VERSION
            LABEL org.opencontainers.image.version=$VERSION
            MAINTAINER someone@example.com
            EXPOSE 8080 53/udp
            VOLUME /data
            WORKDIR /srv
            USER 1000:1000
            SHELL ["/bin/sh", "-ec"]
            STOPSIGNAL SIGQUIT
            HEALTHCHECK --interval=5s --retries=2 CMD true
            ONBUILD RUN echo later
            ENTRYPOINT ["/bin/sh"]
            CMD ["-c", "echo hi"]
            """,
            "--metadata-file",
            metadata.toString());
    assertEquals(0, run.exit(), run.err());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metadata.toFile());
    var config = json.path("containerimage.config").path("config");
    assertTrue(json.path("kiln.result.cache-key").asText().startsWith("sha256:"));
    assertTrue(config.path("Env").toString().contains("APP_VERSION=1.2"), config.toString());
    assertTrue(config.path("Env").toString().contains("PATH="), "the base image's env is kept");
    assertEquals("1.2", config.path("Labels").path("org.opencontainers.image.version").asText());
    assertTrue(
        config.path("ExposedPorts").has("8080/tcp") && config.path("ExposedPorts").has("53/udp"));
    assertTrue(config.path("Volumes").has("/data"));
    assertEquals("/srv", config.path("WorkingDir").asText());
    assertEquals("1000:1000", config.path("User").asText());
    assertEquals("[\"/bin/sh\",\"-ec\"]", config.path("Shell").toString());
    assertEquals("SIGQUIT", config.path("StopSignal").asText());
    assertEquals(5_000_000_000L, config.path("Healthcheck").path("Interval").asLong());
    assertEquals("[\"RUN echo later\"]", config.path("OnBuild").toString());
    assertEquals("[\"/bin/sh\"]", config.path("Entrypoint").toString());
    assertEquals("[\"-c\",\"echo hi\"]", config.path("Cmd").toString());
    assertEquals("someone@example.com", json.path("containerimage.config").path("author").asText());
    assertTrue(json.path("containerimage.config").path("history").size() >= 14);
  }

  @Test
  void copyParentsKeepsTheSourcesDirectories() throws Exception {
    Files.createDirectories(context.resolve("cmd/app"));
    Files.createDirectories(context.resolve("pkg/util"));
    Files.writeString(context.resolve("cmd/app/main.go"), "main\n");
    Files.writeString(context.resolve("pkg/util/util.go"), "util\n");
    KilnRun run = kiln("FROM busybox\nCOPY --parents ./cmd/app/main.go ./pkg/*/util.go /src/\n");
    assertEquals(0, run.exit(), run.err());
    assertEquals("main\n", out("src/cmd/app/main.go"));
    assertEquals("util\n", out("src/pkg/util/util.go"));
  }
}

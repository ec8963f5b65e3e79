package dev.kiln.frontend.dockerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.FileOp;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.Owner;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerfileConverterTest {
  private static final String BUSYBOX = "oci-layout:///layouts/busybox:latest";
  private static final ImageResolver IMAGES =
      identifier ->
          new ObjectMapper()
              .readTree(
                  "{\"config\":{\"Env\":[\"PATH=/bin:/usr/bin\",\"HOME=/root\"],\"Cmd\":[\"sh\"]}}");
  private static final BuildOptions OPTIONS =
      BuildOptions.defaults().withNamedContexts(Map.of("busybox", BUSYBOX));

  private static Conversion convert(String dockerfile, BuildOptions options) {
    return DockerfileConverter.convert(
        DockerfileParser.parse(dockerfile, "Dockerfile"), options, IMAGES);
  }

  private static Conversion convert(String dockerfile) {
    return convert(dockerfile, OPTIONS);
  }

  private static List<ExecOp> execs(Definition definition) {
    return definition.vertices().values().stream()
        .map(Vertex::op)
        .filter(op -> op instanceof ExecOp)
        .map(ExecOp.class::cast)
        .toList();
  }

  private static ExecOp execRunning(Definition definition, String text) {
    return execs(definition).stream()
        .filter(e -> String.join(" ", e.args()).contains(text))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no RUN with " + text));
  }

  /** Every vertex that {@code digest} needs, itself included. */
  private static Set<Digest> closure(Definition definition, Digest digest) {
    Set<Digest> seen = new HashSet<>();
    List<Digest> todo = new java.util.ArrayList<>(List.of(digest));
    while (!todo.isEmpty()) {
      Digest next = todo.remove(todo.size() - 1);
      if (seen.add(next)) {
        definition.vertex(next).inputs().forEach(i -> todo.add(i.vertex()));
      }
    }
    return seen;
  }

  private static Digest digestOf(Definition definition, ExecOp op) {
    return definition.vertices().entrySet().stream()
        .filter(e -> e.getValue().op().equals(op))
        .findFirst()
        .orElseThrow()
        .getKey();
  }

  private static String error(String dockerfile, BuildOptions options) {
    return assertThrows(DockerfileError.class, () -> convert(dockerfile, options)).getMessage();
  }

  @Test
  void independentStagesAreIndependentBranchesOfTheGraph() {
    Definition definition =
        convert(
                """
                FROM busybox AS one
                RUN sleep 10
                FROM busybox AS two
                RUN sleep 15
                FROM busybox
                COPY --from=one /opt /opt
                COPY --from=two /opt /opt
                """)
            .definition();
    Digest one = digestOf(definition, execRunning(definition, "sleep 10"));
    Digest two = digestOf(definition, execRunning(definition, "sleep 15"));
    assertFalse(closure(definition, one).contains(two));
    assertFalse(closure(definition, two).contains(one));
    Set<Digest> root = closure(definition, definition.root().vertex());
    assertTrue(root.contains(one) && root.contains(two));
  }

  @Test
  void onlyTheStagesTheTargetNeedsAreInTheGraph() {
    String dockerfile =
        """
        FROM busybox AS unused
        RUN echo unused
        FROM busybox AS base
        RUN echo base
        FROM base AS app
        RUN echo app
        """;
    Definition all = convert(dockerfile).definition();
    assertEquals(2, execs(all).size());
    Definition base = convert(dockerfile, OPTIONS.withTarget("base")).definition();
    assertEquals(List.of("/bin/sh", "-c", "echo base"), execs(base).get(0).args());
    assertEquals(1, execs(base).size());
  }

  @Test
  void runGetsTheImageEnvArgsWorkdirUserAndShell() {
    Definition definition =
        convert(
                """
                FROM busybox
                ARG VERSION=1.0
                ENV APP=/app MODE=${VERSION}-x
                WORKDIR $APP
                USER 1000:1000
                SHELL ["/bin/sh", "-ec"]
                RUN make
                """,
                OPTIONS.withBuildArgs(Map.of("VERSION", "2.0")))
            .definition();
    ExecOp run = execRunning(definition, "make");
    assertEquals(List.of("/bin/sh", "-ec", "make"), run.args());
    assertEquals("/app", run.cwd());
    assertEquals("1000:1000", run.user());
    assertTrue(run.env().contains("PATH=/bin:/usr/bin"), run.env().toString());
    assertTrue(run.env().contains("MODE=2.0-x"), run.env().toString());
    assertTrue(run.env().contains("VERSION=2.0"), run.env().toString());
    assertEquals(NetworkMode.DEFAULT, run.network());
  }

  @Test
  void envWordsSeeTheValuesFromBeforeTheInstruction() {
    ImageConfig config =
        convert(
                """
                FROM busybox
                ENV A=old
                ENV A=new B=$A
                """)
            .config();
    assertEquals(Optional.of("old"), config.envValue("B"));
    assertEquals(Optional.of("new"), config.envValue("A"));
  }

  @Test
  void copyFromTheContextSelectsOnlyItsSourcesAndHonoursDockerignore() {
    Definition definition =
        convert(
                "FROM busybox\nWORKDIR /app\nCOPY --chown=1000:1000 --chmod=0640 src/*.txt conf/ ./\n",
                new BuildOptions(
                    Optional.empty(),
                    Map.of(),
                    Map.of("busybox", BUSYBOX),
                    false,
                    Map.of(),
                    List.of("**/*.tmp")))
            .definition();
    SourceOp local =
        definition.vertices().values().stream()
            .map(Vertex::op)
            .filter(op -> op instanceof SourceOp s && s.identifier().equals("local://context"))
            .map(SourceOp.class::cast)
            .findFirst()
            .orElseThrow();
    assertEquals(List.of("src/*.txt", "conf"), local.includePatterns());
    assertEquals(List.of("**/*.tmp"), local.excludePatterns());
    FileAction.Copy copy =
        definition.vertices().values().stream()
            .map(Vertex::op)
            .filter(op -> op instanceof FileOp f && f.actions().get(0) instanceof FileAction.Copy)
            .map(op -> (FileAction.Copy) ((FileOp) op).actions().get(0))
            .findFirst()
            .orElseThrow();
    assertEquals("/src/*.txt", copy.src());
    assertEquals("/app/", copy.dest());
    assertEquals(Optional.of(0640), copy.mode());
    assertEquals("1000", copy.owner().orElseThrow().user());
  }

  @Test
  void anEmptyChownChangesNoOwnerAndAGroupAloneKeepsUserZero() {
    Definition definition =
        convert(
                "FROM scratch\nCOPY --chown= a /a\nCOPY --chown=:7 b /b\n",
                new BuildOptions(Optional.empty(), Map.of(), Map.of(), false, Map.of(), List.of()))
            .definition();
    Map<String, Optional<Owner>> owners = new java.util.TreeMap<>();
    definition.vertices().values().stream()
        .map(Vertex::op)
        .filter(op -> op instanceof FileOp f && f.actions().get(0) instanceof FileAction.Copy)
        .map(op -> (FileAction.Copy) ((FileOp) op).actions().get(0))
        .forEach(copy -> owners.put(copy.dest(), copy.owner()));
    assertEquals(Map.of("/a", Optional.empty(), "/b", Optional.of(new Owner("0", "7"))), owners);
  }

  @Test
  void theImageConfigurationFollowsTheFinalStage() {
    ImageConfig config =
        convert(
                """
                FROM busybox
                LABEL org.example.name="kiln test" version=1
                EXPOSE 8080 53/udp
                VOLUME ["/data"]
                STOPSIGNAL SIGTERM
                HEALTHCHECK --interval=30s --retries=3 CMD wget -q localhost
                ENTRYPOINT ["/bin/app"]
                CMD ["--serve"]
                """)
            .config();
    assertEquals(Map.of("org.example.name", "kiln test", "version", "1"), config.labels());
    assertEquals(Set.of("8080/tcp", "53/udp"), config.exposedPorts());
    assertEquals(Set.of("/data"), config.volumes());
    assertEquals("SIGTERM", config.stopSignal());
    assertEquals(30_000_000_000L, config.healthcheck().orElseThrow().interval());
    assertEquals(List.of("CMD-SHELL", "wget -q localhost"), config.healthcheck().get().test());
    assertEquals(Optional.of(List.of("/bin/app")), config.entrypoint());
    assertEquals(Optional.of(List.of("--serve")), config.cmd());
    var json = ImageConfigJson.write(config);
    assertEquals("/bin/app", json.path("config").path("Entrypoint").get(0).asText());
    assertEquals(7, json.path("history").size());
  }

  @Test
  void anEntrypointClearsTheInheritedCmd() {
    ImageConfig config = convert("FROM busybox\nENTRYPOINT [\"/bin/app\"]\n").config();
    assertEquals(Optional.empty(), config.cmd());
  }

  @Test
  void errorsNameTheLineAndWhatIsWrong() {
    var missingTarget =
        assertThrows(
            DockerfileError.class, () -> convert("FROM busybox\n", OPTIONS.withTarget("nope")));
    assertEquals("target stage \"nope\" could not be found", missingTarget.getMessage());

    var flag =
        assertThrows(DockerfileError.class, () -> convert("FROM busybox\nCOPY --chwon=1 a /\n"));
    assertEquals(2, flag.line());
    assertEquals("unknown flag: --chwon for COPY (did you mean --chown?)", flag.getMessage());

    var outside =
        assertThrows(DockerfileError.class, () -> convert("FROM busybox\nCOPY ../secret /\n"));
    assertEquals("COPY source \"../secret\" is outside the build context", outside.getMessage());

    var nul =
        assertThrows(
            DockerfileError.class,
            () -> convert("FROM busybox\nRUN --mount=type=cache,target=/a\0b true\n"));
    assertEquals(2, nul.line());
    assertEquals("invalid path \"/a\\0b\": Nul character not allowed", nul.getMessage());

    ImageResolver unreachable =
        identifier -> {
          throw new java.io.IOException("not found: " + identifier);
        };
    var image =
        assertThrows(
            DockerfileError.class,
            () ->
                DockerfileConverter.convert(
                    DockerfileParser.parse("FROM busybox AS unused\nFROM alpine\n", "Dockerfile"),
                    BuildOptions.defaults(),
                    unreachable));
    assertEquals(2, image.line(), "only the stages the target needs are resolved");
    assertEquals("not found: docker-image://alpine", image.getMessage());

    assertTrue(
        error(
                "FROM busybox AS a\nCOPY --from=b / /\nFROM busybox AS b\nCOPY --from=a / /\n",
                OPTIONS)
            .startsWith("circular dependency detected on stage: "));

    var unset =
        assertThrows(
            DockerfileError.class, () -> convert("FROM busybox\nWORKDIR ${DIR:?needs DIR}\n"));
    assertEquals(2, unset.line());

    var many = assertThrows(DockerfileError.class, () -> convert("FROM busybox\nCOPY a b /dest\n"));
    assertTrue(many.getMessage().contains("must be a directory and end with a /"));
  }

  @Test
  void noCacheMarksEveryVertexAndKeepsDigests() {
    String dockerfile = "FROM busybox\nRUN date\n";
    Definition cached = convert(dockerfile).definition();
    Definition uncached =
        convert(
                dockerfile,
                new BuildOptions(
                    Optional.empty(),
                    Map.of(),
                    Map.of("busybox", BUSYBOX),
                    true,
                    Map.of(),
                    List.of()))
            .definition();
    assertEquals(cached.root(), uncached.root());
    assertTrue(uncached.vertices().values().stream().allMatch(v -> v.meta().ignoreCache()));
  }

  @Test
  void stepsAreNamedLikeBuildkit() {
    Definition definition = convert("FROM busybox AS build\nRUN make \\\n  all\n").definition();
    Digest run = digestOf(definition, execRunning(definition, "make"));
    assertEquals("[build 2/2] RUN make all", definition.vertex(run).name());
  }

  @Test
  void platformArgsAreThereWithoutBeingPassed() {
    Definition definition =
        convert(
                """
                ARG TARGETPLATFORM
                FROM --platform=$BUILDPLATFORM busybox
                ARG TARGETARCH
                RUN echo $TARGETARCH
                """)
            .definition();
    assertTrue(execRunning(definition, "echo").env().contains("TARGETARCH=" + Platforms.arch()));
    var other =
        assertThrows(DockerfileError.class, () -> convert("FROM --platform=linux/s390x busybox\n"));
    assertTrue(other.getMessage().contains("not supported yet"), other.getMessage());
  }

  @Test
  void onbuildTriggersRunFirstInTheNextStageAndAreNotInherited() {
    Conversion conversion =
        convert(
            """
            FROM busybox AS base
            ONBUILD RUN echo triggered
            FROM base
            RUN echo after
            """);
    ExecOp triggered = execRunning(conversion.definition(), "echo triggered");
    ExecOp after = execRunning(conversion.definition(), "echo after");
    Digest afterDigest = digestOf(conversion.definition(), after);
    assertTrue(
        closure(conversion.definition(), afterDigest)
            .contains(digestOf(conversion.definition(), triggered)));
    assertEquals(List.of(), conversion.config().onBuild());
    assertEquals(
        "[stage-1 2/3] ONBUILD RUN echo triggered",
        conversion.definition().vertex(digestOf(conversion.definition(), triggered)).name());
  }

  @Test
  void aNamedContextThatIsNoDirectoryIsAnErrorOnTheLineThatUsesIt() {
    var error =
        assertThrows(
            DockerfileError.class,
            () ->
                convert(
                    "FROM busybox\nCOPY --from=assets logo.png /\n",
                    BuildOptions.defaults()
                        .withNamedContexts(
                            Map.of("busybox", BUSYBOX, "assets", "/nonexistent/assets"))));
    assertEquals(2, error.line());
    assertEquals(
        "build context \"assets\" is not a directory: /nonexistent/assets", error.getMessage());
  }

  @Test
  void aLocalNamedContextIsReadOnlyForWhatCopySelectsAndCanBeAStageBase(@TempDir Path dir) {
    Definition definition =
        convert(
                "FROM tools\nCOPY --from=bin busybox /bin/busybox\n",
                BuildOptions.defaults()
                    .withNamedContexts(Map.of("bin", dir.toString(), "tools", dir.toString())))
            .definition();
    List<SourceOp> locals =
        definition.vertices().values().stream()
            .map(Vertex::op)
            .filter(op -> op instanceof SourceOp s && s.scheme().equals("local"))
            .map(SourceOp.class::cast)
            .toList();
    assertEquals(
        Set.of(List.of("busybox"), List.of()),
        locals.stream().map(SourceOp::includePatterns).collect(java.util.stream.Collectors.toSet()),
        "COPY reads only busybox from bin; FROM tools takes the whole directory");
  }
}

package dev.kiln.frontend.dockerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.graph.CacheSharing;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.Mount;
import dev.kiln.engine.graph.MountType;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code RUN --mount}, {@code --network} and {@code --security} converted to exec ops. */
class RunMountConversionTest {
  private static final String BUSYBOX = "oci-layout:///layouts/busybox:latest";
  private static final ImageResolver IMAGES =
      identifier -> new ObjectMapper().readTree("{\"config\":{}}");
  private static final BuildOptions OPTIONS =
      BuildOptions.defaults().withNamedContexts(Map.of("busybox", BUSYBOX));

  private static Definition convert(String dockerfile, BuildOptions options) {
    return DockerfileConverter.convert(
            DockerfileParser.parse(dockerfile, "Dockerfile"), options, IMAGES)
        .definition();
  }

  private static Vertex lastRun(String dockerfile) {
    return lastRun(dockerfile, OPTIONS);
  }

  private static Vertex lastRun(String dockerfile, BuildOptions options) {
    Definition definition = convert(dockerfile, options);
    return definition.vertices().get(definition.root().vertex());
  }

  private static ExecOp exec(Vertex vertex) {
    return (ExecOp) vertex.op();
  }

  private static String error(String dockerfile, BuildOptions options) {
    DockerfileError e = assertThrows(DockerfileError.class, () -> convert(dockerfile, options));
    return "line " + e.line() + ": " + e.getMessage();
  }

  @Test
  void bindFromAStageReadsThatStageAsAnInputAtTheSource() {
    Vertex run =
        lastRun(
            """
            FROM busybox AS build
            RUN mkdir /out
            FROM busybox
            RUN --mount=from=build,source=/out,target=/in cat /in/x
            """);
    Mount mount = exec(run).mounts().get(0);
    assertEquals(MountType.BIND, mount.type());
    assertEquals("/in", mount.dest());
    assertEquals("/out", mount.selector());
    assertTrue(mount.readonly());
    assertEquals(Optional.of(1), mount.input());
    assertEquals(2, run.inputs().size());
  }

  @Test
  void bindWithoutFromReadsOnlyTheSourceOfTheContext() {
    Definition definition =
        convert(
            """
            FROM busybox
            WORKDIR /app
            RUN --mount=type=bind,src=src,dst=code,rw true
            """,
            OPTIONS);
    Vertex run = definition.vertices().get(definition.root().vertex());
    Mount mount = exec(run).mounts().get(0);
    assertEquals("/app/code", mount.dest());
    assertEquals(false, mount.readonly());
    SourceOp local = (SourceOp) definition.vertices().get(run.inputs().get(1).vertex()).op();
    assertEquals("local://context", local.identifier());
    assertEquals(List.of("src"), local.includePatterns());
  }

  @Test
  void cacheTmpfsSecretAndSshGetBuildKitsDefaults() {
    ExecOp op =
        exec(
            lastRun(
                """
                FROM busybox
                RUN --mount=type=cache,target=/root/.cache,sharing=locked,mode=0700,uid=5 \\
                    --mount=type=tmpfs,target=/tmp,size=64m \\
                    --mount=type=secret,id=token \\
                    --mount=type=secret,id=aws,env=AWS_KEY \\
                    --mount=type=ssh \\
                    true
                """));
    List<Mount> mounts = op.mounts();
    assertEquals(Optional.of("/root/.cache"), mounts.get(0).cacheId());
    assertEquals(Optional.of(CacheSharing.LOCKED), mounts.get(0).sharing());
    assertEquals(Optional.of(0700), mounts.get(0).mode());
    assertEquals(Optional.of(5L), mounts.get(0).uid());
    assertEquals(Optional.of(64L << 20), mounts.get(1).size());
    assertEquals("/run/secrets/token", mounts.get(2).dest());
    assertTrue(mounts.get(2).optional(), "secrets are optional unless required=true");
    assertEquals("", mounts.get(3).dest());
    assertEquals(Optional.of("AWS_KEY"), mounts.get(3).env());
    assertEquals("/run/buildkit/ssh_agent.0", mounts.get(4).dest());
    assertEquals(Optional.of("default"), mounts.get(4).secretId());
  }

  @Test
  void mountErrorsNameTheLine() {
    assertEquals(
        "line 2: RUN --mount: unknown type \"nfs\" (use bind, cache, tmpfs, secret or ssh)",
        error("FROM busybox\nRUN --mount=type=nfs,target=/x true\n", OPTIONS));
    assertEquals(
        "line 2: RUN --mount: type=cache needs a target",
        error("FROM busybox\nRUN --mount=type=cache true\n", OPTIONS));
    assertTrue(
        error("FROM busybox\nRUN --mount=type=tmpfs,target=/x,sharing=locked true\n", OPTIONS)
            .startsWith("line 2: RUN --mount: unknown option \"sharing\" for type=tmpfs"));
    assertEquals(
        "line 2: RUN --mount: env=A-B is not a valid environment variable name",
        error("FROM busybox\nRUN --mount=type=secret,id=t,env=A-B true\n", OPTIONS));
  }

  @Test
  void hostNetworkAndInsecureNeedTheirEntitlements() {
    String host = "FROM busybox\nRUN --network=host true\n";
    assertEquals(
        "line 2: network.host is not allowed: pass --allow network.host to kiln build",
        error(host, OPTIONS));
    lastRun(host, OPTIONS.withEntitlements(Set.of("network.host")));
    String insecure = "FROM busybox\nRUN --security=insecure true\n";
    assertEquals(
        "line 2: security.insecure is not allowed: pass --allow security.insecure to kiln build",
        error(insecure, OPTIONS));
    ExecOp op = exec(lastRun(insecure, OPTIONS.withEntitlements(Set.of("security.insecure"))));
    assertEquals(SecurityMode.INSECURE, op.security());
  }
}

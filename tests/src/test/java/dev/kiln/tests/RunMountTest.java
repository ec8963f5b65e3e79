package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.graph.DefinitionWriter;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code RUN --mount} of every type, and entitlements, through {@code kiln build}. */
class RunMountTest {
  private static final String SECRET = "hunter2-" + "c0ffee";

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

  private boolean inOut(String path) {
    return Files.exists(temp.resolve("out").resolve(path), LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void bindMountsReadAStageAndTheContextWithoutCopyingThem() throws Exception {
    Files.createDirectories(context.resolve("src"));
    Files.writeString(context.resolve("src/hello.txt"), "from context\n");
    KilnRun run =
        kiln(
            """
            FROM busybox AS tools
            RUN mkdir /opt && echo from stage > /opt/tool.txt
            FROM busybox
            RUN --mount=type=bind,from=tools,source=/opt,target=/mnt/tools \\
                --mount=type=bind,source=src,target=/mnt/src \\
                cat /mnt/tools/tool.txt /mnt/src/hello.txt > /result
            RUN --mount=target=/mnt/src,rw echo scribble > /mnt/src/Dockerfile
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("from stage\nfrom context\n", out("result"));
    assertFalse(inOut("mnt"), "mount points stay out of the image");
    assertFalse(inOut("opt/tool.txt"));
    assertFalse(
        Files.readString(context.resolve("Dockerfile")).startsWith("scribble"),
        "writes to an rw bind are dropped");
  }

  @Test
  void cacheMountKeepsItsContentsAcrossBuildsWithDifferentSteps() throws Exception {
    KilnRun first =
        kiln(
            """
            FROM busybox
            RUN --mount=type=cache,target=/cache echo first >> /cache/log
            """);
    assertEquals(0, first.exit(), first.err());
    assertFalse(inOut("cache"));
    KilnRun second =
        kiln(
            """
            FROM busybox
            RUN --mount=type=cache,target=/var/cache/app,id=/cache \\
                echo second >> /var/cache/app/log && cp /var/cache/app/log /seen
            """);
    assertEquals(0, second.exit(), second.err());
    assertEquals("first\nsecond\n", out("seen"));
    assertFalse(inOut("var/cache/app/log"));
  }

  @Test
  void cacheMountWithFromStartsAsACopyOfItsBaseAndKeepsWhatStepsAdd() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox AS seed
            RUN mkdir -p /seed/sub && echo seeded > /seed/sub/file && chown 7:8 /seed/sub/file
            FROM busybox
            RUN --mount=type=cache,target=/c,from=seed,source=/seed/sub \\
                cat /c/file > /got && ls -n /c/file | awk '{print $3":"$4}' > /owner \\
                && echo more > /c/added
            RUN --mount=type=cache,target=/c,from=seed,source=../../seed/sub ls /c > /listing
            RUN --mount=type=cache,target=/c ls -A /c > /unseeded
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("seeded\n", out("got"));
    assertEquals("7:8\n", out("owner"));
    assertEquals("added\nfile\n", out("listing"));
    assertEquals("", out("unseeded"), "the same id without a base is another directory");
    assertFalse(inOut("c/file"));
  }

  @Test
  void tmpfsMountIsEmptyAndLeavesNothingBehind() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox
            RUN --mount=type=tmpfs,target=/scratch,size=1m \\
                echo x > /scratch/f && ls -A /scratch > /listing
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("f\n", out("listing"));
    assertFalse(inOut("scratch"));
  }

  @Test
  void secretsArriveAsAFileAndAsAnEnvVarAndAreStoredNowhere() throws Exception {
    Path secretFile = temp.resolve("token.txt");
    Files.writeString(secretFile, SECRET);
    String dockerfile =
        """
        FROM busybox
        ENV TOKEN=public
        RUN --mount=type=secret,id=token \\
            --mount=type=secret,id=fromenv,env=TOKEN,required=true \\
            test "$(cat /run/secrets/token)" = "$TOKEN" \\
            && ls -ln /run/secrets/token | cut -c1-10 > /mode && echo ok > /checked
        """;
    KilnRun run =
        kiln(
            dockerfile,
            "--secret",
            "id=token,src=" + secretFile,
            "--secret",
            "id=fromenv,type=file,src=" + secretFile);
    assertEquals(0, run.exit(), run.err());
    assertEquals("ok\n", out("checked"));
    assertEquals("-r--------\n", out("mode"));
    assertFalse(inOut("run/secrets"));
    assertFalse(run.err().contains(SECRET), "not in the logs");
    assertNoFileContains(temp.resolve("root"), SECRET);
    assertNoFileContains(temp.resolve("out"), SECRET);
    String definition =
        DefinitionWriter.write(
            DockerfileConverter.convert(
                    DockerfileParser.parse(dockerfile, "Dockerfile"),
                    BuildOptions.defaults()
                        .withNamedContexts(Map.of("busybox", BusyboxLayout.identifier())),
                    identifier -> new ObjectMapper().readTree("{\"config\":{}}"))
                .definition());
    assertTrue(definition.contains("\"token\""), definition);
    assertFalse(definition.contains(SECRET));
  }

  private static void assertNoFileContains(Path root, String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
          assertFalse(
              content.contains(new String(needle, StandardCharsets.ISO_8859_1)),
              "the secret leaked into " + file);
        }
      }
    }
  }

  @Test
  void aMissingRequiredSecretFailsNamingItsId() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox
            RUN --mount=type=secret,id=npmrc,required=true cat /run/secrets/npmrc
            """);
    assertEquals(1, run.exit(), run.err());
    assertTrue(
        run.err().contains("secret \"npmrc\" was not given to the build: pass --secret id=npmrc"),
        run.err());
  }

  @Test
  void aMissingOptionalSecretIsSkipped() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox
            RUN --mount=type=secret,id=npmrc test ! -e /run/secrets/npmrc && echo none > /r
            """);
    assertEquals(0, run.exit(), run.err());
    assertEquals("none\n", out("r"));
  }

  @Test
  void sshAgentSocketIsForwardedWithSshAuthSock() throws Exception {
    Path socket = temp.resolve("agent.sock");
    try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      agent.bind(UnixDomainSocketAddress.of(socket));
      KilnRun run =
          kiln(
              """
              FROM busybox
              RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /sock
              """,
              "--ssh",
              "default=" + socket);
      assertEquals(0, run.exit(), run.err());
      assertEquals("/run/buildkit/ssh_agent.0\n", out("sock"));
      assertFalse(inOut("run/buildkit"));
    }
  }

  @Test
  void aRequiredSshMountWithoutAnAgentSaysHowToGiveOne() throws Exception {
    KilnRun run =
        kiln(
            """
            FROM busybox
            RUN --mount=type=ssh,required=true true
            """);
    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("pass --ssh default=$SSH_AUTH_SOCK"), run.err());
  }

  @Test
  void hostNetworkAndInsecureStepsNeedAllow() throws Exception {
    String dockerfile =
        """
        FROM busybox
        RUN --network=host --security=insecure echo ran > /ran
        """;
    KilnRun denied = kiln(dockerfile);
    assertEquals(1, denied.exit(), denied.err());
    assertTrue(
        denied.err().contains("network.host is not allowed: pass --allow network.host"),
        denied.err());
    KilnRun allowed = kiln(dockerfile, "--allow", "network.host", "--allow", "security.insecure");
    assertEquals(0, allowed.exit(), allowed.err());
    assertEquals("ran\n", out("ran"));
  }

  @Test
  void badSecretSshAndAllowFlagsAreClearErrors() throws Exception {
    String dockerfile = "FROM busybox\n";
    KilnRun secret = kiln(dockerfile, "--secret", "src=/nope");
    assertEquals(1, secret.exit());
    assertTrue(secret.err().contains("--secret src=/nope: id=NAME is missing"), secret.err());
    KilnRun ssh = kiln(dockerfile, "--ssh", "default=" + temp.resolve("missing.sock"));
    assertEquals(1, ssh.exit());
    assertTrue(ssh.err().contains("does not exist"), ssh.err());
    KilnRun allow = kiln(dockerfile, "--allow", "root.everything");
    assertEquals(1, allow.exit());
    assertTrue(allow.err().contains("unknown entitlement \"root.everything\""), allow.err());
  }
}

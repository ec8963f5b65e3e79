package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway frontends end to end (issue 9): the example frontend image, built by Kiln from busybox,
 * builds its Kilnfile; Dockerfile syntax 1.x is Kiln's own; hostile frontends fail the build with a
 * clear error and leave the root healthy.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GatewayFrontendTest {
  private static final Path EXAMPLE = BusyboxLayout.repositoryRoot().resolve("examples/frontend");
  private static final Pattern RAN = Pattern.compile("(?m)^#\\d+ DONE");

  @TempDir static Path shared;
  static Path root;
  static Path frontend;

  @TempDir Path temp;

  /** {@code kiln build --root ROOT --progress PROGRESS ARGS} in this JVM. */
  private static KilnRun build(Path root, String progress, String... args) {
    List<String> all =
        new java.util.ArrayList<>(
            List.of("build", "--root", root.toString(), "--progress", progress));
    all.addAll(List.of(args));
    return KilnRun.of(all.toArray(String[]::new));
  }

  /** The example frontend's image, as examples/frontend/build.sh makes it: busybox, then it. */
  @BeforeAll
  static void buildTheExampleFrontend() {
    root = shared.resolve("root");
    frontend = shared.resolve("frontend-layout");
    Path busybox = shared.resolve("busybox-layout");
    KilnRun base =
        build(
            root,
            "quiet",
            "--build-context",
            "bin=/bin",
            "--output",
            "type=oci,dest=" + busybox + ",tar=false,name=busybox:latest",
            BusyboxLayout.repositoryRoot().resolve("examples/busybox").toString());
    assertEquals(0, base.exit(), base.err());
    KilnRun built =
        build(
            root,
            "quiet",
            "--build-context",
            "busybox=oci-layout://" + busybox,
            "-f",
            EXAMPLE.resolve("Dockerfile").toString(),
            "--output",
            "type=oci,dest=" + frontend + ",tar=false,name=kiln-frontend:latest",
            EXAMPLE.toString());
    assertEquals(0, built.exit(), built.err());
  }

  private static KilnRun buildKilnfile(Path root, Path out) {
    return build(
        root,
        "plain",
        "--build-context",
        "kiln-frontend=oci-layout://" + frontend,
        "-f",
        EXAMPLE.resolve("Kilnfile").toString(),
        "--output",
        "type=local,dest=" + out,
        EXAMPLE.toString());
  }

  @Test
  void theExampleFrontendBuildsItsKilnfileAndASecondRunIsFullyCached() throws Exception {
    // A root of its own: nothing of the other tests' builds is cached there.
    KilnRun first = buildKilnfile(temp.resolve("root"), temp.resolve("first"));
    KilnRun second = buildKilnfile(temp.resolve("root"), temp.resolve("second"));

    assertEquals(0, first.exit(), first.err());
    assertEquals("hello\nworld\n", Files.readString(temp.resolve("first/greeting.txt")));
    assertTrue(RAN.matcher(first.err()).find(), first.err());
    assertEquals(0, second.exit(), second.err());
    assertEquals("hello\nworld\n", Files.readString(temp.resolve("second/greeting.txt")));
    assertTrue(!RAN.matcher(second.err()).find(), "nothing runs again:\n" + second.err());
  }

  @Test
  void theExampleFrontendBuildsThroughADaemonFromALayoutTheClientSends() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start(temp.resolve("daemon-root"))) {
      KilnRun run =
          KilnRun.of(
              "build",
              "--addr",
              daemon.address(),
              "--progress",
              "plain",
              "--build-context",
              "kiln-frontend=oci-layout://" + frontend,
              "-f",
              EXAMPLE.resolve("Kilnfile").toString(),
              "--output",
              "type=local,dest=" + temp.resolve("out"),
              EXAMPLE.toString());
      // A path given as the source names the daemon's host: refused, saying how to send it.
      KilnRun hostPath =
          KilnRun.of(
              "build",
              "--addr",
              daemon.address(),
              "--frontend",
              "gateway",
              "--opt",
              "source=oci-layout://" + frontend,
              EXAMPLE.toString());

      assertEquals(0, run.exit(), run.err());
      assertEquals("hello\nworld\n", Files.readString(temp.resolve("out/greeting.txt")));
      assertEquals(1, hostPath.exit(), hostPath.err());
      assertTrue(hostPath.err().contains("a layout comes from the client"), hostPath.err());
    }
  }

  @Test
  void aBadKilnfileFailsNamingTheFileAndLine() throws Exception {
    Path context = Files.createDirectories(temp.resolve("bad-kilnfile"));
    Files.writeString(
        context.resolve("Kilnfile"),
        "# syntax=kiln-frontend\nhello: echo hi\nworld after nothing: echo world\n");

    KilnRun run =
        build(
            temp.resolve("root"),
            "quiet",
            "--build-context",
            "kiln-frontend=oci-layout://" + frontend,
            "-f",
            context.resolve("Kilnfile").toString(),
            context.toString());

    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("failed: Kilnfile:3: "), run.err());
    assertTrue(run.err().contains("nothing"), run.err());
  }

  @Test
  void syntaxDockerfile17IsKilnsOwnDockerfileFrontend() throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(
        context.resolve("Dockerfile"),
        "# syntax=docker/dockerfile:1.7\nFROM busybox\nRUN <<EOF\necho heredoc > /made\nEOF\n");

    KilnRun run =
        build(
            root,
            "quiet",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            "--output",
            "type=local,dest=" + temp.resolve("out"),
            context.toString());

    assertEquals(0, run.exit(), run.err());
    assertEquals("heredoc\n", Files.readString(temp.resolve("out/made")));
  }

  @Test
  void kilnsOwnFrontendThroughTheGatewayReportsErrorsAsTheDirectPathDoes() throws Exception {
    Path context = Files.createDirectories(temp.resolve("typo"));
    Files.writeString(
        context.resolve("Dockerfile"), "# syntax=docker/dockerfile:1\nFROM busybox\nRUNN x\n");

    KilnRun run = KilnRun.of("build", "--root", root.toString(), context.toString());

    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("error: Dockerfile:3\n"), run.err());
    assertTrue(run.err().contains("unknown instruction: RUNN (did you mean RUN?)"), run.err());
  }

  /** A printf that writes {@code json} as one gateway frame (no quote, percent or backslash). */
  private static String frame(String json) {
    int n = json.getBytes(StandardCharsets.UTF_8).length;
    return String.format(
            "printf '\\%03o\\%03o\\%03o\\%03o'",
            (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)
        + "; printf '%s' '"
        + json
        + "'";
  }

  private static final String HELLO = frame("{\"type\":\"hello\",\"version\":1}");

  /** A frontend image whose entrypoint is {@code script}, built on the example's image. */
  private Path hostileFrontend(String name, String script) throws Exception {
    Path context = Files.createDirectories(temp.resolve(name));
    Files.writeString(context.resolve("bad.sh"), script + "\n");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM base\nCOPY bad.sh /bad.sh\nENTRYPOINT [\"/bin/sh\", \"/bad.sh\"]\nCMD []\n");
    Path layout = temp.resolve(name + "-layout");
    KilnRun built =
        build(
            root,
            "quiet",
            "--build-context",
            "base=oci-layout://" + frontend,
            "--output",
            "type=oci,dest=" + layout + ",tar=false,name=" + name + ":latest",
            context.toString());
    assertEquals(0, built.exit(), built.err());
    return layout;
  }

  /** Builds the example's context with {@code layout} as its frontend; must fail. */
  private String failure(Path layout, List<String> env) throws Exception {
    List<String> command =
        DaemonProcess.kiln(
            "build",
            "--root",
            root.toString(),
            "--progress",
            "plain",
            "--frontend",
            "gateway",
            "--opt",
            "source=oci-layout://" + layout,
            "--output",
            "type=local,dest=" + temp.resolve("never"),
            EXAMPLE.toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    for (String pair : env) {
      builder
          .environment()
          .put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
    }
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(2, TimeUnit.MINUTES));
    assertEquals(1, process.exitValue(), output);
    assertTrue(!Files.exists(temp.resolve("never")), "nothing was exported");
    return output;
  }

  @Test
  void hostileFrontendsFailTheBuildWithAClearErrorAndLeaveTheRootHealthy() throws Exception {
    String garbage = failure(hostileFrontend("garbage", frame("this is not json")), List.of());
    String early = failure(hostileFrontend("early", "exit 0"), List.of());
    String climbing =
        failure(
            hostileFrontend(
                "climbing",
                HELLO
                    + "; "
                    + frame(
                        "{\"type\":\"read-file\",\"id\":1,\"ref\":\"context\",\"path\":\"../../etc/passwd\"}")
                    + "; cat > /tmp/x"),
            List.of());
    String huge =
        failure(
            hostileFrontend("huge", HELLO + "; printf '\\002\\000\\000\\000'; cat > /tmp/x"),
            List.of());
    String silent =
        failure(
            hostileFrontend("silent", HELLO + "; sleep 600"), List.of("KILN_FRONTEND_TIMEOUT=2s"));

    assertTrue(garbage.contains("sent garbage: a gateway message is not JSON"), garbage);
    assertTrue(early.contains("closed its output before returning a result"), early);
    assertTrue(climbing.contains("asked for ../../etc/passwd, a path outside"), climbing);
    assertTrue(huge.contains("a gateway frame of 33554432 bytes"), huge);
    assertTrue(silent.contains("sent nothing for 2 s"), silent);
    // A frontend cannot grant what the build was not granted.
    String entitled =
        failure(
            hostileFrontend(
                "entitled",
                HELLO
                    + "; "
                    + frame(
                        "{\"type\":\"solve\",\"id\":1,\"definition\":"
                            + AttackSuiteTest.INSECURE_STEP
                            + "}")
                    + "; "
                    + frame("{\"type\":\"return\",\"ref\":\"r1\"}")
                    + "; cat > /tmp/x"),
            List.of());
    assertTrue(entitled.contains("security.insecure is not allowed: pass --allow"), entitled);
    // The root is unharmed: the example still builds, from the cache.
    KilnRun after = buildKilnfile(root, temp.resolve("after"));
    assertEquals(0, after.exit(), after.err());
    assertEquals("hello\nworld\n", Files.readString(temp.resolve("after/greeting.txt")));
  }
}

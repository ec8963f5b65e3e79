package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.engine.testing.RegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images through a real registry (Debian's docker-registry) and checked by real tools: busybox made
 * FROM scratch by Kiln and pushed, an image built FROM it and pushed, pulled back by digest in a
 * fresh root, read by skopeo and unpacked by umoci.
 */
class RegistryRoundTripTest {
  private static final Pattern EXPORTED = Pattern.compile("exported image (sha256:[0-9a-f]{64})");
  static RegistryServer registry;

  @TempDir Path temp;

  @BeforeAll
  static void start() throws IOException {
    registry = RegistryServer.start();
  }

  @AfterAll
  static void stop() throws IOException {
    registry.close();
  }

  private KilnRun kiln(String root, Path context, String... extra) {
    List<String> args = new ArrayList<>(List.of("build", "--root", temp.resolve(root).toString()));
    args.addAll(List.of(extra));
    args.add(context.toString());
    return KilnRun.of(args.toArray(String[]::new));
  }

  private Path context(String name, String dockerfile) throws IOException {
    Path dir = Files.createDirectories(temp.resolve(name));
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    return dir;
  }

  private static String exported(KilnRun run) {
    Matcher m = EXPORTED.matcher(run.err());
    assertTrue(m.find(), run.err());
    return m.group(1);
  }

  private static String tool(String... argv) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), String.join(" ", argv) + ":\n" + out);
    return out;
  }

  private static JsonNode inspect(String ref) throws Exception {
    return new ObjectMapper()
        .readTree(tool("skopeo", "inspect", "--tls-verify=false", "docker://" + ref));
  }

  @Test
  void buildPushPullByDigestAndUnpackWithRealTools() throws Exception {
    String host = registry.host();
    Path examples = BusyboxLayout.repositoryRoot().resolve("examples");
    KilnRun busybox =
        kiln(
            "root1",
            examples.resolve("busybox"),
            "--progress",
            "quiet",
            "--build-context",
            "bin=/bin",
            "-t",
            host + "/library/busybox",
            "--push");
    assertEquals(0, busybox.exit(), busybox.err());

    Path app =
        context(
            "app",
            "FROM " + host + "/library/busybox\nRUN echo hi > /hi\nCMD [\"cat\", \"/hi\"]\n");
    Path metadata = temp.resolve("metadata.json");
    KilnRun pushed =
        kiln(
            "root2",
            app,
            "--progress",
            "quiet",
            "-t",
            host + "/app:1",
            "--push",
            "--metadata-file",
            metadata.toString());
    assertEquals(0, pushed.exit(), pushed.err());
    String digest = exported(pushed);
    assertEquals(
        digest,
        new ObjectMapper().readTree(metadata.toFile()).path("containerimage.digest").asText());

    JsonNode appImage = inspect(host + "/app:1");
    assertEquals(digest, appImage.path("Digest").asText(), "the registry serves what was pushed");
    JsonNode baseImage = inspect(host + "/library/busybox:latest");
    assertEquals(
        baseImage.path("Layers"),
        new ObjectMapper()
            .createArrayNode()
            .addAll(List.of(appImage.path("Layers").get(0), appImage.path("Layers").get(1))),
        "the base image's layers are reused as they are, not recompressed");

    Path pull = context("pull", "FROM " + host + "/app@" + digest + "\nRUN cat /hi > /seen\n");
    Path out = temp.resolve("out");
    KilnRun pulled =
        kiln("root3", pull, "--progress", "quiet", "--output", "type=local,dest=" + out);
    assertEquals(0, pulled.exit(), pulled.err());
    assertEquals("hi\n", Files.readString(out.resolve("seen")));

    Path layout = temp.resolve("layout");
    tool(
        "skopeo",
        "copy",
        "--src-tls-verify=false",
        "docker://" + host + "/app:1",
        "oci:" + layout + ":app");
    Path bundle = temp.resolve("bundle");
    tool("umoci", "unpack", "--rootless", "--image", layout + ":app", bundle.toString());
    assertEquals("hi\n", Files.readString(bundle.resolve("rootfs/hi")));
    assertTrue(Files.isSymbolicLink(bundle.resolve("rootfs/bin/sh")));
  }

  @Test
  void aTaggedImageServesFromWithoutARegistry() throws Exception {
    Path base = context("base", "FROM busybox\nRUN echo local > /local\n");
    KilnRun tagged =
        kiln(
            "root",
            base,
            "--progress",
            "quiet",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            "-t",
            "kiln-tests/local-only:1");
    assertEquals(0, tagged.exit(), tagged.err());

    // docker.io is out of reach here: only the local image store can answer this FROM.
    Path user = context("user", "FROM kiln-tests/local-only:1\nRUN cat /local > /seen\n");
    Path out = temp.resolve("out");
    KilnRun built = kiln("root", user, "--progress", "quiet", "--output", "type=local,dest=" + out);
    assertEquals(0, built.exit(), built.err());
    assertEquals("local\n", Files.readString(out.resolve("seen")));
  }

  @Test
  void pushWithoutANameAndBadNamesAreRefusedBeforeBuilding() throws Exception {
    Path context = context("c", "FROM busybox\n");
    KilnRun noName = kiln("root", context, "--push");
    assertEquals(1, noName.exit());
    assertTrue(noName.err().contains("--push needs a name to push to: add -t NAME"), noName.err());
    KilnRun badName = kiln("root", context, "-t", "Bad/Name");
    assertEquals(1, badName.exit());
    assertTrue(badName.err().contains("-t Bad/Name: invalid reference"), badName.err());
    KilnRun missing =
        kiln(
            "root", context("m", "FROM " + registry.host() + "/nosuch:1\n"), "--progress", "quiet");
    assertEquals(1, missing.exit());
    assertTrue(missing.err().contains("nosuch"), missing.err());
  }
}

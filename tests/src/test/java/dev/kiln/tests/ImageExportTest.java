package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.snapshot.HostCommand;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln build --output type=oci|docker} on a real Dockerfile, read back as tools do. */
class ImageExportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOCKERFILE =
      """
      FROM busybox
      ENV GREETING=hello
      RUN echo "$GREETING" > /greeting.txt
      WORKDIR /app
      COPY hello.txt /app/
      CMD ["cat", "/greeting.txt"]
      """;

  @TempDir Path temp;
  DockerfileBuilds builds;

  @BeforeEach
  void context() throws Exception {
    builds = new DockerfileBuilds(temp);
    Files.writeString(builds.context.resolve("hello.txt"), "hello from the context\n");
  }

  private static Map<String, byte[]> entries(Path archive) throws Exception {
    Map<String, byte[]> entries = new HashMap<>();
    try (InputStream in = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        entries.put(e.getName(), tar.readAllBytes());
      }
    }
    return entries;
  }

  private static JsonNode blob(Map<String, byte[]> entries, String digest) throws Exception {
    return JSON.readTree(entries.get("blobs/sha256/" + digest.substring("sha256:".length())));
  }

  private static String skopeo(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("skopeo"));
    argv.addAll(List.of(args));
    Process process =
        HostCommand.processBuilder(argv)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), "skopeo " + String.join(" ", args) + ":\n" + out);
    return out;
  }

  /** The config's checks that hold for both archive kinds. */
  private static void assertImageConfig(JsonNode config, int layers) {
    assertEquals("[\"cat\",\"/greeting.txt\"]", config.path("config").path("Cmd").toString());
    assertTrue(
        config.path("config").path("Env").toString().contains("GREETING=hello"), config.toString());
    assertEquals("/app", config.path("config").path("WorkingDir").asText());
    assertEquals(layers, config.path("rootfs").path("diff_ids").size());
    List<String> createdBy = new ArrayList<>();
    int nonEmpty = 0;
    for (JsonNode h : config.path("history")) {
      createdBy.add(h.path("created_by").asText());
      nonEmpty += h.path("empty_layer").asBoolean() ? 0 : 1;
      assertTrue(h.has("created"), h.toString());
    }
    assertEquals(layers, nonEmpty, "one non-empty history entry per layer: " + createdBy);
    assertEquals(
        List.of(
            "examples/parallel/prepare.sh from busybox-static",
            "ENV GREETING=hello",
            "RUN /bin/sh -c echo \"$GREETING\" > /greeting.txt # buildkit",
            "WORKDIR /app",
            "COPY hello.txt /app/ # buildkit",
            "CMD [\"cat\", \"/greeting.txt\"]"),
        createdBy);
  }

  @Test
  void anOciArchiveHoldsTheDockerfilesImage() throws Exception {
    Path archive = temp.resolve("image.tar");
    KilnRun run = builds.buildTo(DOCKERFILE, "type=oci,dest=" + archive + ",name=kiln/e2e:1");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("exported image sha256:"), run.err());

    Map<String, byte[]> entries = entries(archive);
    JsonNode index = JSON.readTree(entries.get("index.json"));
    JsonNode manifest = blob(entries, index.path("manifests").get(0).path("digest").asText());
    JsonNode config = blob(entries, manifest.path("config").path("digest").asText());
    // busybox, RUN, WORKDIR (it creates /app) and COPY
    assertImageConfig(config, 4);
    assertEquals(4, manifest.path("layers").size());
    JsonNode inspected = JSON.readTree(skopeo("inspect", "oci-archive:" + archive + ":1"));
    assertEquals(4, inspected.path("Layers").size());
  }

  @Test
  void aDockerArchiveHoldsTheDockerfilesImage() throws Exception {
    Path archive = temp.resolve("image.tar");
    KilnRun run = builds.buildTo(DOCKERFILE, "type=docker,dest=" + archive + ",name=kiln-e2e:1");
    assertEquals(0, run.exit(), run.err());

    Map<String, byte[]> entries = entries(archive);
    JsonNode manifest = JSON.readTree(entries.get("manifest.json")).get(0);
    assertEquals("[\"kiln-e2e:1\"]", manifest.path("RepoTags").toString());
    JsonNode config = JSON.readTree(entries.get(manifest.path("Config").asText()));
    assertImageConfig(config, 4);
    JsonNode skopeoConfig =
        JSON.readTree(skopeo("inspect", "--config", "docker-archive:" + archive));
    assertEquals(config, skopeoConfig);
  }

  @Test
  void destDashWritesTheArchiveToStandardOutput() throws Exception {
    java.io.PrintStream saved = System.out;
    java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
    KilnRun run;
    System.setOut(new java.io.PrintStream(stdout, true, StandardCharsets.UTF_8));
    try {
      run = builds.buildTo(DOCKERFILE, "type=docker,dest=-,name=kiln-e2e:1");
    } finally {
      System.setOut(saved);
    }
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("to Docker archive standard output"), run.err());
    Path archive = Files.write(temp.resolve("from-stdout.tar"), stdout.toByteArray());
    JsonNode manifest = JSON.readTree(entries(archive).get("manifest.json")).get(0);
    assertEquals("[\"kiln-e2e:1\"]", manifest.path("RepoTags").toString());
  }

  @Test
  void aDestinationInAMissingDirectoryIsRefusedBeforeAnythingRuns() throws Exception {
    Path dest = temp.resolve("missing/image.tar");
    KilnRun run = builds.buildTo(DOCKERFILE, "type=oci,dest=" + dest);
    assertEquals(1, run.exit());
    assertEquals(
        "error: --output dest: directory " + dest.getParent() + " does not exist; create it first",
        run.err().strip());
    assertTrue(Files.notExists(temp.resolve("root")), "nothing ran, nothing was stored");
  }

  @Test
  void withSourceDateEpochTwoBuildsInFreshRootsGiveTheSameArchive() throws Exception {
    List<byte[]> archives = new ArrayList<>();
    for (String name : List.of("first", "second")) {
      DockerfileBuilds fresh = new DockerfileBuilds(Files.createDirectories(temp.resolve(name)));
      Files.writeString(fresh.context.resolve("hello.txt"), "hello from the context\n");
      Path archive = temp.resolve(name + ".tar");
      List<String> argv = new ArrayList<>(List.of(javaCommand()));
      argv.addAll(
          List.of("-cp", System.getProperty("java.class.path"), "dev.kiln.cli.KilnCommand"));
      argv.addAll(fresh.arguments(DOCKERFILE, "type=oci,dest=" + archive, "--progress", "quiet"));
      // The CLI reads SOURCE_DATE_EPOCH from its environment, so it runs as a process of its own.
      ProcessBuilder builder = HostCommand.processBuilder(argv).redirectErrorStream(true);
      builder.environment().put("SOURCE_DATE_EPOCH", "1700000000");
      Process process = builder.start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, process.waitFor(), out);
      archives.add(Files.readAllBytes(archive));
    }
    assertArrayEquals(archives.get(0), archives.get(1), "byte-identical archives");
    Map<String, byte[]> entries = entries(temp.resolve("first.tar"));
    JsonNode index = JSON.readTree(entries.get("index.json"));
    JsonNode manifest = blob(entries, index.path("manifests").get(0).path("digest").asText());
    JsonNode config = blob(entries, manifest.path("config").path("digest").asText());
    assertEquals("2023-11-14T22:13:20Z", config.path("created").asText());
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}

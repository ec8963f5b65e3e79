package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.cache.CacheRecord;
import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln check} on a root made with the real stores (LevelDB, files): what it prints, as text
 * and as JSON, and its exit codes.
 */
class CheckCommandTest {
  @TempDir Path temp;
  private Path root;
  private Path blob;

  /** What a run of {@code kiln} returned and wrote. */
  private record Cli(int exit, String out, String err) {}

  private static Cli kiln(String... args) {
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

  private Cli check(String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("check", "--root", root.toString()));
    args.addAll(List.of(more));
    return kiln(args.toArray(String[]::new));
  }

  /** A root with two blobs, one committed layer and the record that names it. */
  @BeforeEach
  void root() throws IOException {
    root = temp.resolve("root");
    ContentStore content = new ContentStore(root);
    Digest first = ingest(content, "{\"a\":\"config\"}");
    ingest(content, "layer bytes");
    blob = root.resolve("content/blobs/sha256").resolve(first.hex());
    Snapshotter snapshotter = new Snapshotter(root);
    ActiveLayer active = snapshotter.prepare();
    Files.writeString(active.upper().resolve("x"), "x");
    Layer layer = snapshotter.commit(active);
    try (CacheStore cache = CacheStore.open(root)) {
      cache.put(
          Digest.sha256("key"),
          CacheRecord.of(List.of(List.of(layer.id())), "exec", "RUN echo x > /x", 1));
    }
  }

  private static Digest ingest(ContentStore content, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return content.ingest(new ByteArrayInputStream(bytes), Optional.empty(), bytes.length);
  }

  private void flipAByte() throws IOException {
    byte[] bytes = Files.readAllBytes(blob);
    bytes[0] ^= 0x01;
    Files.write(blob, bytes);
  }

  private Path leaveATempFile() throws IOException {
    return Files.writeString(root.resolve("content/ingest/ingest-42.tmp"), "half");
  }

  @Test
  void aHealthyRootChecksClean() {
    Cli cli = check();

    assertEquals(0, cli.exit(), cli.err());
    assertEquals("checked 2 blobs, 1 record, 1 layer, 0 images: 0 problems\n", cli.out());
    assertEquals("", cli.err());
  }

  @Test
  void aRootWithABuiltAndTaggedImageChecksClean() throws Exception {
    Path built = temp.resolve("built");
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(context.resolve("Dockerfile"), "FROM busybox\nRUN echo x > /x\n");
    Cli build =
        kiln(
            "build",
            "--root",
            built.toString(),
            "--progress",
            "quiet",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            "-t",
            "example.com/app:1",
            context.toString());
    assertEquals(0, build.exit(), build.err());

    Cli cli = kiln("check", "--root", built.toString());

    assertEquals(0, cli.exit(), cli.out() + cli.err());
    assertTrue(cli.out().endsWith(", 1 image: 0 problems\n"), cli.out());
  }

  @Test
  void aDamagedRootIsReportedLineByLineAndExitsOne() throws IOException {
    flipAByte();
    Path leftover = leaveATempFile();
    Digest actual = Digest.ofFile(blob);

    Cli cli = check();

    assertEquals(1, cli.exit(), cli.out() + cli.err());
    assertEquals(
        "corrupt-blob "
            + blob
            + ": its content (14 bytes) has digest "
            + actual
            + ", not its name's; --repair deletes the blob\n"
            + "temp-file "
            + leftover
            + ": the temp file of a blob whose writing was interrupted; --repair removes it\n"
            + "checked 2 blobs, 1 record, 1 layer, 0 images: 1 problem, 1 leftover of an"
            + " interrupted run; run kiln check --repair to drop the broken entries\n",
        cli.out());
    assertTrue(Files.exists(blob) && Files.exists(leftover), "a check changes nothing");
  }

  @Test
  void repairDropsTheBrokenEntriesAndTheRootThenChecksClean() throws IOException {
    flipAByte();
    Path leftover = leaveATempFile();

    Cli cli = check("--repair");

    assertEquals(0, cli.exit(), cli.out() + cli.err());
    assertTrue(cli.out().contains("; deleted the blob\n"), cli.out());
    assertTrue(cli.out().contains("; removed it\n"), cli.out());
    assertTrue(
        cli.out()
            .endsWith(
                "checked 2 blobs, 1 record, 1 layer, 0 images: 1 problem, 1 leftover of an"
                    + " interrupted run: repaired 2\n"),
        cli.out());
    assertFalse(Files.exists(blob) || Files.exists(leftover));

    Cli again = check();
    assertEquals(0, again.exit());
    assertEquals("checked 1 blob, 1 record, 1 layer, 0 images: 0 problems\n", again.out());
  }

  @Test
  void leftoversAloneAreListedButLeaveTheRootClean() throws IOException {
    Path leftover = leaveATempFile();

    Cli cli = check();

    assertEquals(0, cli.exit(), cli.out());
    assertTrue(cli.out().startsWith("temp-file " + leftover + ": "), cli.out());
    assertTrue(
        cli.out()
            .endsWith(
                ": 0 problems, 1 leftover of an interrupted run (harmless; kiln check --repair"
                    + " removes them)\n"),
        cli.out());
  }

  @Test
  void theJsonFormatIsTheReport() throws IOException {
    flipAByte();

    Cli cli = check("--format", "json");

    assertEquals(1, cli.exit(), cli.err());
    JsonNode json = new ObjectMapper().readTree(cli.out());
    assertEquals(root.toAbsolutePath().toString(), json.path("root").asText());
    assertFalse(json.path("repair").asBoolean());
    assertFalse(json.path("clean").asBoolean());
    assertEquals(2, json.path("checked").path("blobs").asInt());
    assertEquals(1, json.path("checked").path("records").asInt());
    assertEquals(1, json.path("checked").path("layers").asInt());
    assertEquals(0, json.path("checked").path("images").asInt());
    assertEquals(1, json.path("remaining").asInt());
    JsonNode problem = json.path("problems").get(0);
    assertEquals("corrupt-blob", problem.path("kind").asText());
    assertEquals(blob.toString(), problem.path("subject").asText());
    assertEquals("delete-blob", problem.path("action").asText());
    assertFalse(problem.path("leftover").asBoolean());
    assertFalse(problem.path("repaired").asBoolean());
    assertEquals(1, json.path("problems").size());

    JsonNode repaired = new ObjectMapper().readTree(check("--repair", "--format=json").out());
    assertTrue(repaired.path("clean").asBoolean());
    assertTrue(repaired.path("problems").get(0).path("repaired").asBoolean());
  }

  @Test
  void aMissingRootIsAClearErrorAndIsNotMade() {
    Path missing = temp.resolve("nope");

    Cli cli = kiln("check", "--root", missing.toString());

    assertEquals(1, cli.exit());
    assertEquals(
        "error: " + missing + " does not exist: no Kiln root to check (is --root right?)\n",
        cli.err());
    assertEquals("", cli.out());
    assertFalse(Files.exists(missing));
  }

  @Test
  void anUnknownFormatIsAUsageError() {
    Cli cli = check("--format", "yaml");

    assertEquals(2, cli.exit());
    assertEquals("error: --format yaml: use text or json\n", cli.err());
  }
}

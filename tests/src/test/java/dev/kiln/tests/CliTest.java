package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln build} as users run it: exit codes, messages and outputs. */
class CliTest {
  @TempDir Path temp;

  private KilnRun kiln(String... args) {
    return KilnRun.of(args);
  }

  private Path graph(String json) throws Exception {
    Path file = temp.resolve("graph.json");
    Files.writeString(file, json.replace("BASE", BusyboxLayout.identifier()));
    return file;
  }

  private static String step(String args) {
    return """
        {"vertices": [
          {"id": "base", "op": {"type": "source", "identifier": "BASE"}},
          {"id": "step", "op": {"type": "exec", "args": ARGS},
           "inputs": [{"vertex": "base"}], "meta": {"description": "the step"}}
        ], "root": {"vertex": "step"}}
        """
        .replace("ARGS", args);
  }

  @Test
  void buildsAGraphIntoATarball() throws Exception {
    Path tar = temp.resolve("out/result.tar");
    KilnRun run =
        kiln(
            "build",
            "--root",
            temp.resolve("root").toString(),
            "--definition",
            graph(step("[\"sh\", \"-c\", \"echo hi > /hi.txt\"]")).toString(),
            "--output",
            "type=tar,dest=" + tar,
            "--progress",
            "plain");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("#2 the step"), run.err());
    assertTrue(run.err().contains("#2 DONE"), run.err());
    // Overlay mounts work here, so the default picks them.
    assertTrue(run.err().contains("executor crun, snapshotter overlay"), run.err());
    boolean found = false;
    try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        if (entry.getName().equals("hi.txt")) {
          found = new String(in.readAllBytes(), StandardCharsets.UTF_8).equals("hi\n");
        }
      }
    }
    assertTrue(found, "hi.txt with its content is in the tarball");
  }

  @Test
  void aMalformedDefinitionNamesFileAndLine() throws Exception {
    Path file = graph("{\n  \"vertices\": [\n    {\"id\": \"a\" \"op\": {}}\n  ]\n}");
    KilnRun run =
        kiln("build", "--root", temp.resolve("root").toString(), "--definition", file.toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().startsWith("error: " + file + ":3:"), run.err());
    assertEquals(1, run.err().strip().lines().count(), "one paragraph: " + run.err());
  }

  @Test
  void anOpNamingAMissingInputIsRejectedBeforeAnythingRuns() throws Exception {
    Path file =
        graph(step("[\"true\"]").replace("{\"vertex\": \"base\"}", "{\"vertex\": \"bsae\"}"));
    KilnRun run =
        kiln("build", "--root", temp.resolve("root").toString(), "--definition", file.toString());
    assertEquals(1, run.exit());
    assertEquals(
        "error: " + file + ": vertex \"step\" names missing input \"bsae\"", run.err().strip());
    assertTrue(Files.notExists(temp.resolve("root")), "nothing ran, nothing was stored");
  }

  @Test
  void aFailingStepExitsNonZeroWithItsCommandAndOutput() throws Exception {
    Path file = graph(step("[\"sh\", \"-c\", \"echo doing work; exit 7\"]"));
    KilnRun run =
        kiln("build", "--root", temp.resolve("root").toString(), "--definition", file.toString());
    assertEquals(1, run.exit());
    assertTrue(
        run.err().contains("ERROR: failed to solve: [the step]")
            && run.err().contains("did not complete successfully: exit code: 7")
            && run.err().contains("doing work"),
        run.err());
  }

  @Test
  void aBadOutputSpecIsRejectedWithTheReason() throws Exception {
    Path file = graph(step("[\"true\"]"));
    KilnRun run = kiln("build", "--definition", file.toString(), "--output", "type=zip,dest=x");
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("unknown type \"zip\""), run.err());
  }

  @Test
  void badFlagsAreRejectedBeforeAnythingRuns() throws Exception {
    Path file = graph(step("[\"true\"]"));
    String root = temp.resolve("root").toString();
    KilnRun local =
        kiln("build", "--root", root, "--definition", file.toString(), "--local", "ctx");
    assertEquals(1, local.exit());
    assertEquals("error: --local ctx: use NAME=DIR", local.err().strip());
    KilnRun missingDir =
        kiln(
            "build",
            "--root",
            root,
            "--definition",
            file.toString(),
            "--local",
            "ctx=/nonexistent");
    assertEquals("error: --local: /nonexistent is not a directory", missingDir.err().strip());
    KilnRun progress =
        kiln("build", "--root", root, "--definition", file.toString(), "--progress", "fancy");
    assertEquals(
        "error: --progress fancy: use auto, tty, plain, rawjson or quiet", progress.err().strip());
    KilnRun noFile =
        kiln("build", "--root", root, "--definition", temp.resolve("nope.json").toString());
    assertEquals("error: " + temp.resolve("nope.json") + ": no such file", noFile.err().strip());
    assertTrue(Files.notExists(temp.resolve("root")), "nothing ran, nothing was stored");
  }

  @Test
  void aLocalSourceWithoutADirectoryNamesTheFlagToPass() throws Exception {
    Path file =
        graph(
            """
            {"vertices": [{"id": "ctx", "op": {"type": "source", "identifier": "local://context"}}],
             "root": {"vertex": "ctx"}}
            """);
    KilnRun run =
        kiln("build", "--root", temp.resolve("root").toString(), "--definition", file.toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("pass --local context=DIR"), run.err());
  }

  @Test
  void warmUpRunsATinyBuildAndLeavesNothingBehind() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long before = countWarmUpDirs(tmp);
    KilnRun run = kiln("warm-up");
    assertEquals(0, run.exit(), run.err());
    assertEquals(before, countWarmUpDirs(tmp));
  }

  private static long countWarmUpDirs(Path tmp) throws Exception {
    try (var entries = Files.list(tmp)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("kiln-warm-up-")).count();
    }
  }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCommand;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobState;
import dev.kiln.engine.testing.BusyboxLayout;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An embedded build killed with SIGKILL mid-way, then {@code kiln resume}d: issue 8. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ResumeTest {
  private static final Pattern BUILD = Pattern.compile("#0 build (\\S+)");
  private static final Pattern FIRST = Pattern.compile("first-\\d+");

  @TempDir Path temp;

  @Test
  void anEmbeddedBuildKilledMidwayResumesWithoutRerunningItsFinishedSteps() throws Exception {
    Path root = temp.resolve("root");
    Path context = Files.createDirectories(temp.resolve("context"));
    Path out = temp.resolve("out");
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox\n"
            + "RUN echo first-$RANDOM | tee /first\n"
            + "RUN echo second-started && sleep 3 && echo second > /second\n");
    List<String> command =
        DaemonProcess.kiln(
            "build",
            "--root",
            root.toString(),
            "--progress",
            "plain",
            "--build-context",
            "busybox=" + BusyboxLayout.identifier(),
            "--output",
            "type=local,dest=" + out,
            context.toString());
    Process build = new ProcessBuilder(command).redirectErrorStream(true).start();
    build.getOutputStream().close();
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder before = new StringBuilder();
    String id = null;
    String first = null;
    // Killed once the second step has started, the first having finished.
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      before.append(line).append('\n');
      Matcher named = BUILD.matcher(line);
      if (named.find()) {
        id = named.group(1);
      }
      Matcher made = FIRST.matcher(line);
      if (made.find()) {
        first = made.group();
      }
      if (line.contains("second-started")) {
        build.destroyForcibly();
        break;
      }
    }
    build.waitFor();
    assertTrue(id != null && first != null, before.toString());
    String killed = id;
    String listed = out(() -> KilnCommand.run("ls", "--root", root.toString()));
    assertTrue(
        listed.lines().anyMatch(l -> l.startsWith(killed) && l.contains("interrupted")), listed);
    assertFalse(Files.exists(out), "the killed build wrote its output");

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = KilnCommand.run("resume", id, "--root", root.toString());
    } finally {
      System.setErr(old);
    }
    String resumed = err.toString(StandardCharsets.UTF_8);

    assertEquals(0, exit, before + "\n---\n" + resumed);
    assertTrue(resumed.contains("resuming build " + id), resumed);
    assertFalse(FIRST.matcher(resumed).find(), "the finished step ran again:\n" + resumed);
    assertTrue(resumed.contains("second-started"), "the interrupted step ran again:\n" + resumed);
    assertEquals(first + "\n", Files.readString(out.resolve("first")));
    assertEquals("second\n", Files.readString(out.resolve("second")));
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      assertEquals(JobState.Status.FINISHED, engine.job(BuildId.parse(id)).status());
    }
    assertEquals(1, KilnCommand.run("resume", id, "--root", root.toString()), "resumed twice");
    String after = out(() -> KilnCommand.run("ls", "--root", root.toString(), "--format", "json"));
    assertTrue(after.contains("\"id\" : \"" + id + "\"") && after.contains("\"finished\""), after);
  }

  /** What {@code run} prints on standard output. */
  private static String out(java.util.function.IntSupplier run) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, run.getAsInt());
    } finally {
      System.setOut(old);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}

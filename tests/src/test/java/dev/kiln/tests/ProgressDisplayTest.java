package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.progress.ProgressJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code --progress} modes as a user sees them: the TTY display in a real terminal (tmux). */
class ProgressDisplayTest {
  static final String DOCKERFILE = "FROM busybox\nRUN echo first && echo second\nRUN echo third\n";

  @TempDir Path temp;
  DockerfileBuilds builds;

  @BeforeEach
  void builds() throws Exception {
    builds = new DockerfileBuilds(temp);
  }

  @Test
  void inATerminalAutoRedrawsBuildKitsDisplayInPlace() throws Exception {
    List<String> args = builds.arguments(DOCKERFILE, "type=local,dest=" + temp.resolve("out"));

    String first = inTerminal(args);
    assertTrue(first.contains("exit=0"), first);
    assertEquals(1, count(first, "[+] Building"), "the display was redrawn in place:\n" + first);
    assertTrue(
        Pattern.compile("\\[\\+] Building [0-9.]+s \\((\\d+)/\\1\\) FINISHED")
            .matcher(first)
            .find(),
        first);
    assertTrue(first.contains(" => [stage-0 2/3] RUN echo first && echo second"), first);
    assertTrue(
        Pattern.compile("RUN echo third +[0-9]+\\.[0-9]s\\n").matcher(first).find(),
        "a finished step shows its time at the end of its line:\n" + first);

    String again = inTerminal(args);
    assertTrue(again.contains(" => CACHED [stage-0 3/3] RUN echo third"), again);
  }

  @Test
  void rawjsonPrintsOneEventPerLineEndingTheBuild() throws Exception {
    KilnRun run = builds.build(DOCKERFILE, "--progress", "rawjson");
    assertEquals(0, run.exit(), run.err());
    List<ProgressEvent> events = new ArrayList<>();
    for (String line : run.err().split("\n")) {
      if (line.startsWith("{")) {
        events.add(ProgressJson.read(line));
      }
    }
    assertTrue(
        events.stream()
            .anyMatch(e -> e instanceof ProgressEvent.VertexLog log && log.line().equals("second")),
        events.toString());
    assertTrue(
        events.stream().anyMatch(e -> e instanceof ProgressEvent.VertexCompleted),
        events.toString());
  }

  /**
   * Runs {@code kiln args} in a new JVM in a 120×40 tmux terminal and returns the screen once it
   * has exited (with an {@code exit=N} line).
   */
  private static String inTerminal(List<String> args) throws Exception {
    String id = "kiln-" + UUID.randomUUID();
    List<String> java = new ArrayList<>();
    java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    java.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.kiln.cli.KilnCommand"));
    java.addAll(args);
    String command =
        String.join(" ", java.stream().map(ProgressDisplayTest::quoted).toList())
            + "; echo exit=$?; tmux -L "
            + id
            + " wait-for -S done; tmux -L "
            + id
            + " wait-for release";
    tmux(id, "new-session", "-d", "-x", "120", "-y", "40", command);
    try {
      tmux(id, "wait-for", "done");
      return tmux(id, "capture-pane", "-p");
    } finally {
      tmux(id, "wait-for", "-S", "release");
      tmux(id, "kill-server");
    }
  }

  private static String tmux(String socket, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("tmux", "-L", socket));
    argv.addAll(List.of(args));
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), "tmux " + String.join(" ", args));
    return out;
  }

  private static String quoted(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  private static int count(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      count++;
    }
    return count;
  }
}

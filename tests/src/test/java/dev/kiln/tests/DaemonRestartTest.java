package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCommand;
import dev.kiln.engine.testing.HostProcesses;
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

/**
 * Daemon builds that outlive a crash of either side (issue 8): a daemon killed with SIGKILL resumes
 * its build when it starts again and its client reattaches; a client killed leaves its build
 * running for {@code kiln attach}. Real processes throughout.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DaemonRestartTest {
  private static final Pattern BUILD = Pattern.compile("#0 build (\\S+)");
  private static final Pattern FIRST = Pattern.compile("first-\\d+");

  @TempDir Path temp;

  /** The daemon's options beyond its root and address, before and after it is killed. */
  private List<String> daemonOptions = List.of();

  private Path context(String dockerfile) throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    Files.writeString(context.resolve("app.txt"), "from the context\n");
    return context;
  }

  /** A {@code kiln build} client process with {@code more} options; its output merged. */
  private static Process client(String address, Path out, Path context, String... more)
      throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "build",
                "--addr",
                address,
                "--progress",
                "plain",
                "--output",
                "type=local,dest=" + out));
    args.addAll(List.of(more));
    args.add(context.toString());
    Process client =
        new ProcessBuilder(DaemonProcess.kiln(args.toArray(String[]::new)))
            .redirectErrorStream(true)
            .start();
    client.getOutputStream().close();
    return client;
  }

  /** What a client showed of a build whose daemon was killed mid-step and started again. */
  private record Killed(String id, String first, String before, String after, int exit) {
    String shown() {
      return before + "\n--- killed ---\n" + after;
    }
  }

  /**
   * Builds {@code dockerfile} through a daemon on a Unix socket, kills the daemon with SIGKILL once
   * a step prints {@code second-started}, starts it again on the same root, and lets the client
   * finish; its output in {@code out}.
   */
  private Killed buildThroughAKilledDaemon(Path root, String dockerfile, Path out, String... more)
      throws Exception {
    DaemonProcess.tagBusybox(root, temp);
    String address = "unix://" + temp.resolve("kiln.sock");
    Path context = context(dockerfile);
    DaemonProcess daemon = DaemonProcess.start(root, address, daemonOptions);
    try {
      Process client = client(address, out, context, more);
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder before = new StringBuilder();
      String id = null;
      String first = null;
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
          daemon.kill(); // mid-step, the first step finished
          break;
        }
      }
      assertTrue(id != null && first != null, before.toString());
      daemon = DaemonProcess.start(root, address, daemonOptions);
      StringBuilder after = new StringBuilder();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        after.append(line).append('\n');
      }
      assertTrue(client.waitFor(2, TimeUnit.MINUTES));
      return new Killed(id, first, before.toString(), after.toString(), client.exitValue());
    } finally {
      daemon.close();
    }
  }

  @Test
  void aClientReattachesWhenItsDaemonIsKilledAndNoFinishedStepRunsAgain() throws Exception {
    Path root = temp.resolve("root");
    Path out = temp.resolve("out");
    Killed killed = killedMidSecondStep(root, out);
    assertResumedWithoutRerunningTheFirstStep(root, out, killed);
  }

  /**
   * A cluster node whose jobs journal in PostgreSQL (issue 11's shared journal) resumes from there
   * as from LevelDB: the build's events, and the node's index of unfinished jobs under its own
   * name, are in the database.
   */
  @Test
  void aNodeJournalingInPostgresqlResumesItsBuildFromThere() throws Exception {
    try (dev.kiln.engine.testing.PostgresServer postgres =
        dev.kiln.engine.testing.PostgresServer.start()) {
      String url = postgres.createDatabase("jobs");
      String bind = "127.0.0.1:" + ClusterPorts.next();
      daemonOptions =
          List.of(
              "--cluster-bind",
              bind,
              "--journal",
              url,
              "--journal-user",
              dev.kiln.engine.testing.PostgresServer.USER);
      Path root = temp.resolve("root");
      Path out = temp.resolve("out");

      Killed killed = killedMidSecondStep(root, out);

      assertResumedWithoutRerunningTheFirstStep(root, out, killed);
      try (java.sql.Connection connection = postgres.connect("jobs");
          java.sql.ResultSet rows =
              connection
                  .createStatement()
                  .executeQuery(
                      "SELECT persistence_id, count(*) FROM event_journal GROUP BY 1 ORDER BY 1")) {
        java.util.Map<String, Integer> events = new java.util.TreeMap<>();
        while (rows.next()) {
          events.put(rows.getString(1), rows.getInt(2));
        }
        assertTrue(events.getOrDefault("build-" + killed.id(), 0) > 2, events.toString());
        assertTrue(events.containsKey("kiln-job-index@" + bind), events.toString());
      }
    }
  }

  private Killed killedMidSecondStep(Path root, Path out) throws Exception {
    return buildThroughAKilledDaemon(
        root,
        "FROM busybox\n"
            + "COPY app.txt /app.txt\n"
            + "RUN echo first-$RANDOM | tee /first\n"
            + "RUN echo second-started && sleep 3 && echo second > /second\n",
        out);
  }

  private static void assertResumedWithoutRerunningTheFirstStep(Path root, Path out, Killed killed)
      throws Exception {
    assertEquals(0, killed.exit(), killed.shown());
    assertTrue(killed.after().contains("reattaching to build " + killed.id()), killed.shown());
    assertTrue(killed.after().contains("goes on where it stood"), killed.shown());
    assertFalse(
        FIRST.matcher(killed.after()).find(), "the first step ran again:\n" + killed.shown());
    assertEquals(killed.first() + "\n", Files.readString(out.resolve("first")));
    assertEquals("second\n", Files.readString(out.resolve("second")));
    assertEquals("from the context\n", Files.readString(out.resolve("app.txt")));
    try (var sessions = Files.list(root.resolve("sessions"))) {
      assertEquals(List.of(), sessions.toList(), "the resumed build's upload is gone");
    }
  }

  @Test
  void aResumedBuildWaitsForItsSecretUntilItsClientSendsItAgain() throws Exception {
    Path root = temp.resolve("root");
    Path out = temp.resolve("out");
    Path token = Files.writeString(temp.resolve("token"), "s3cr3t-token-5b1f\n");
    Killed killed =
        buildThroughAKilledDaemon(
            root,
            "FROM busybox\n"
                + "RUN echo first-$RANDOM | tee /first\n"
                + "RUN --mount=type=secret,id=token echo second-started && sleep 3"
                + " && sha256sum < /run/secrets/token > /token.sha256\n",
            out,
            "--secret",
            "id=token,src=" + token);
    assertEquals(0, killed.exit(), killed.shown());
    assertTrue(killed.after().contains("waits for its client to send its secrets"), killed.shown());
    assertTrue(
        killed.after().contains("sent build " + killed.id() + " its secrets"), killed.shown());
    assertFalse(
        FIRST.matcher(killed.after()).find(), "the first step ran again:\n" + killed.shown());
    assertEquals(
        dev.kiln.engine.graph.Digest.sha256("s3cr3t-token-5b1f\n").hex(),
        Files.readString(out.resolve("token.sha256")).split(" ")[0],
        "the resumed step read the secret sent again");
    try (var files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertFalse(
            Files.readString(file, StandardCharsets.ISO_8859_1).contains("s3cr3t-token-5b1f"),
            "the secret is in " + file);
      }
    }
  }

  @Test
  void aDaemonKilledMidStepLeavesNoProcessOfTheStepRunning() throws Exception {
    // crun's container outlives crun: Kiln runs it as pid 1 of a pid namespace that dies with Kiln.
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);
    // The expanded 42 is in the step's output only, never in a line that shows its command; a
    // sleep of this run's own length, so that no other process is taken for the step's.
    String sleep = "sleep " + (100000 + new java.util.Random().nextInt(900000));
    Path context = context("FROM busybox\nRUN echo started-$((6 * 7)) && " + sleep + "\n");
    List<ProcessHandle> step;
    try (DaemonProcess daemon = DaemonProcess.start(root)) {
      Process client = client(daemon.address(), temp.resolve("out"), context);
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder shown = new StringBuilder();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        shown.append(line).append('\n');
        if (line.contains("started-42")) {
          break;
        }
      }
      step = HostProcesses.withArgv(sleep); // its shell at least, whose argv holds the sleep
      assertFalse(step.isEmpty(), "the step runs:\n" + shown);
      daemon.kill();
      client.destroyForcibly();
    }
    for (ProcessHandle process : step) {
      // Waiting for the exit, not for a while: it fails the test after 30 s.
      process.onExit().get(30, TimeUnit.SECONDS);
    }
    assertEquals(
        List.of(), HostProcesses.withArgv(sleep), "no process of the step outlives its daemon");
  }

  @Test
  void aBuildWhoseClientIsKilledRunsOnAndKilnAttachFollowsItToItsEnd() throws Exception {
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);
    Path context =
        context("FROM busybox\nRUN echo started && sleep 3 && echo done-$((6 * 7)) > /done\n");
    try (DaemonProcess daemon = DaemonProcess.start(root)) {
      Process client = client(daemon.address(), temp.resolve("out"), context);
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
      String id = null;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        Matcher named = BUILD.matcher(line);
        if (named.find()) {
          id = named.group(1);
        }
        if (line.contains("started")) {
          client.destroyForcibly(); // SIGKILL: no time to cancel its build
          break;
        }
      }
      client.waitFor();
      assertTrue(id != null);

      // Another process on the daemon's root is refused, and told which process holds it.
      Process ls =
          new ProcessBuilder(DaemonProcess.kiln("ls", "--root", root.toString()))
              .redirectErrorStream(true)
              .start();
      String refused = new String(ls.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(1, ls.waitFor(), refused);
      assertTrue(
          refused.contains(
              "another kiln process (pid " + daemon.pid() + ": kiln daemon --root " + root + " "),
          refused);

      Attached attached = attach(id, daemon.address());
      String followed = attached.err();
      assertEquals(0, attached.exit(), followed);
      assertTrue(followed.contains("#0 build " + id), followed);
      assertTrue(followed.contains("started"), "what it missed is replayed:\n" + followed);
      assertTrue(followed.contains("DONE"), followed);
    }
  }

  @Test
  void anInterruptedClientCancelsItsBuild() throws Exception {
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);
    Path context = context("FROM busybox\nRUN echo started && sleep 600\n");
    try (DaemonProcess daemon = DaemonProcess.start(root)) {
      Process client = client(daemon.address(), temp.resolve("out"), context);
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
      String id = null;
      StringBuilder shown = new StringBuilder();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        shown.append(line).append('\n');
        Matcher named = BUILD.matcher(line);
        if (named.find()) {
          id = named.group(1);
        }
        if (line.contains("started")) {
          // SIGINT, as Ctrl-C sends it (Process.destroy would also close the output read here).
          assertEquals(
              0, new ProcessBuilder("kill", "-INT", Long.toString(client.pid())).start().waitFor());
          break;
        }
      }
      lines.lines().forEach(line -> shown.append(line).append('\n'));
      client.waitFor();
      assertTrue(id != null, shown.toString());
      assertTrue(shown.toString().contains("cancelled build " + id), shown.toString());

      // The build ends long before its step's 600 s would (the test's timeout is 5 minutes).
      Attached attached = attach(id, daemon.address());
      assertTrue(attached.exit() != 0, attached.err());
    }
  }

  /** What {@code kiln attach} did: its exit code and what it showed. */
  private record Attached(int exit, String err) {}

  /** Runs {@code kiln attach ID} (plain progress) in this JVM until the build ends. */
  private static Attached attach(String id, String address) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exit = KilnCommand.run("attach", id, "--addr", address, "--progress", "plain");
      return new Attached(exit, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(old);
    }
  }
}

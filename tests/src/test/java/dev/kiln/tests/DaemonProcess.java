package dev.kiln.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kiln daemon} in a JVM of its own, as {@code ./kiln daemon} starts it: its process, and the
 * address it printed once it listened. Closing it sends SIGTERM and waits for it to stop.
 */
public final class DaemonProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on (\\S+://\\S+)");

  private final Process process;
  private final String address;
  // The last lines it printed after it listened, for tests of what it says as it stops.
  private final java.util.ArrayDeque<String> lastLines = new java.util.ArrayDeque<>();
  private volatile Thread drain;

  private DaemonProcess(Process process, String address) {
    this.process = process;
    this.address = address;
  }

  /** The command that runs {@code kiln args} in a JVM of its own, on the tests' class path. */
  public static List<String> kiln(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.kiln.cli.KilnCommand"));
    command.addAll(List.of(args));
    return command;
  }

  /** Starts a daemon on {@code root}, on a free loopback port, and waits until it listens. */
  public static DaemonProcess start(Path root) throws IOException {
    return start(root, "tcp://127.0.0.1:0");
  }

  /** Starts a daemon on {@code root} listening on {@code address}, and waits until it listens. */
  public static DaemonProcess start(Path root, String address) throws IOException {
    return start(root, address, List.of());
  }

  /** {@link #start(Path, String)} with more daemon {@code options}. */
  public static DaemonProcess start(Path root, String address, List<String> options)
      throws IOException {
    List<String> command = kiln("daemon", "--root", root.toString(), "--addr", address);
    command.addAll(options);
    command.add(1, "-Xms16m"); // as ./kiln starts a daemon
    return launch(command);
  }

  /** Starts a daemon with {@code command} (a {@code kiln daemon} command line) until it listens. */
  public static DaemonProcess launch(List<String> command) throws IOException {
    return launch(command, java.util.Map.of());
  }

  /** {@link #launch(List)} with {@code environment} added to the daemon's. */
  public static DaemonProcess launch(
      List<String> command, java.util.Map<String, String> environment) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process process = builder.start();
    process.getOutputStream().close();
    BufferedReader output =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder said = new StringBuilder();
    for (String line = output.readLine(); line != null; line = output.readLine()) {
      said.append(line).append('\n');
      Matcher matcher = LISTENING.matcher(line);
      if (matcher.find()) {
        DaemonProcess daemon = new DaemonProcess(process, matcher.group(1));
        Thread drain =
            new Thread(
                () -> {
                  try {
                    for (String more = output.readLine(); more != null; more = output.readLine()) {
                      daemon.said(more);
                    }
                  } catch (IOException e) {
                    // the daemon stopped
                  }
                },
                "daemon-output");
        drain.setDaemon(true);
        daemon.drain = drain;
        drain.start();
        return daemon;
      }
    }
    throw new IOException("the daemon stopped before it listened:\n" + said);
  }

  /**
   * Puts busybox into the image store under {@code root}, as a user would before starting a daemon
   * there (by building {@code FROM busybox} from the test layout, tagged busybox).
   */
  public static void tagBusybox(Path root, Path scratch) throws Exception {
    Path base = java.nio.file.Files.createDirectories(scratch.resolve("busybox-base"));
    java.nio.file.Files.writeString(base.resolve("Dockerfile"), "FROM busybox\n");
    KilnRun tagged =
        KilnRun.of(
            "build",
            "--root",
            root.toString(),
            "--progress",
            "quiet",
            "--build-context",
            "busybox=" + dev.kiln.engine.testing.BusyboxLayout.identifier(),
            "-t",
            "busybox",
            base.toString());
    if (tagged.exit() != 0) {
      throw new IllegalStateException("cannot tag busybox: " + tagged.err());
    }
  }

  /** Where it listens ({@code tcp://127.0.0.1:PORT}, {@code unix:///PATH}). */
  public String address() {
    return address;
  }

  private synchronized void said(String line) {
    lastLines.add(line);
    if (lastLines.size() > 200) {
      lastLines.poll();
    }
  }

  /** The last lines (200 at most) the daemon printed since it listened. */
  public synchronized String lastLines() {
    return String.join("\n", lastLines);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits (at most two minutes) for the daemon to die by itself; its exit code. */
  public int awaitExit() throws InterruptedException {
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the daemon did not stop");
    }
    if (drain != null) {
      drain.join(TimeUnit.SECONDS.toMillis(30)); // its last lines read
    }
    return process.exitValue();
  }

  /** SIGKILL, as a crash or the OOM killer would; returns once the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, then waits (at most two minutes) for the daemon to stop; its exit code. */
  public int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      String threads = threadDump();
      process.destroyForcibly();
      throw new IllegalStateException(
          "the daemon did not stop on SIGTERM; its last lines:\n"
              + lastLines()
              + "\nits threads:\n"
              + threads);
    }
    return process.exitValue();
  }

  /** What its threads are doing, by the JDK's jcmd, so that a hang names where it waits. */
  private String threadDump() {
    try {
      Process jcmd =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                  Long.toString(process.pid()),
                  "Thread.print")
              .redirectErrorStream(true)
              .start();
      String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      jcmd.waitFor(1, TimeUnit.MINUTES);
      return dump;
    } catch (IOException e) {
      return "(jcmd failed: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }
}

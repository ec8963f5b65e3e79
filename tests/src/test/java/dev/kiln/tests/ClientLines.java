package dev.kiln.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@code kiln} client process whose output is read line by line as it comes. */
public final class ClientLines {
  /** A line and when it was read ({@link System#nanoTime}). */
  public record Line(String text, long nanos) {}

  private final Process process;
  private final Thread reader;
  private final BlockingQueue<Line> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();

  private ClientLines(Process process) {
    this.process = process;
    this.reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                in.lines().forEach(line -> lines.add(new Line(line, System.nanoTime())));
              } catch (IOException e) {
                lines.add(new Line("reader: " + e, System.nanoTime()));
              }
            });
    reader.start();
  }

  /** Starts {@code command}, its stdout and stderr merged. */
  public static ClientLines start(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    return new ClientLines(process);
  }

  /** The next line that contains {@code text}, waiting at most two minutes for it. */
  public Line await(String text) throws InterruptedException {
    while (true) {
      Line line = lines.poll(2, TimeUnit.MINUTES);
      if (line == null) {
        throw new AssertionError("no line with " + text + " in:\n" + shown());
      }
      seen.add(line.text());
      if (line.text().contains(text)) {
        return line;
      }
    }
  }

  /**
   * The first line read so far that contains {@code text}, or else the next one: for lines that may
   * come in either order.
   */
  public String seenOrAwait(String text) throws InterruptedException {
    for (String line : seen) {
      if (line.contains(text)) {
        return line;
      }
    }
    return await(text).text();
  }

  /** Waits (at most two minutes) for the process to end; its exit code. */
  public int exit() throws InterruptedException {
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("the client did not end:\n" + shown());
    }
    reader.join();
    List<Line> rest = new ArrayList<>();
    lines.drainTo(rest);
    rest.forEach(line -> seen.add(line.text()));
    return process.exitValue();
  }

  /** Every line read so far. */
  public String shown() {
    return String.join("\n", seen);
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.run.RunContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a process to its end on the calling thread, streaming its merged output to the log sink and
 * killing its whole tree on cancellation.
 */
final class SandboxProcess {
  static final int TAIL_LINES = 20;

  /** How it ended: exit code, the last output lines, and whether it was killed by cancellation. */
  record Outcome(int exitCode, List<String> lastLines, boolean cancelled) {
    Outcome {
      lastLines = List.copyOf(lastLines);
    }
  }

  private SandboxProcess() {}

  /** Starts {@code builder} with its stdin at end of file, as RUN's is, and runs it to its end. */
  static Outcome run(ProcessBuilder builder, RunContext context) throws ExecException {
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new ExecException("could not start the sandbox: " + e.getMessage(), e);
    }
    try {
      // A step that reads stdin must see its end, not wait for input that never comes.
      process.getOutputStream().close();
    } catch (IOException e) {
      // Closing our end of a pipe cannot fail in a way that matters to the step.
    }
    AtomicBoolean killed = new AtomicBoolean();
    context
        .cancellation()
        .onCancel(
            () -> {
              if (process.isAlive()) {
                killed.set(true);
                killTree(process.toHandle());
              }
            });
    Deque<String> tail = new ArrayDeque<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        context.logs().line(LogStream.STDOUT, line);
        tail.addLast(line);
        if (tail.size() > TAIL_LINES) {
          tail.removeFirst();
        }
      }
      return new Outcome(process.waitFor(), List.copyOf(tail), killed.get());
    } catch (IOException e) {
      killTree(process.toHandle());
      throw new ExecException("lost the step's output: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      killTree(process.toHandle());
      Thread.currentThread().interrupt();
      throw new ExecException("interrupted while the step ran", e);
    }
  }

  // Children first, so that nothing is reparented and escapes while the parent dies.
  private static void killTree(ProcessHandle root) {
    root.descendants().forEach(ProcessHandle::destroyForcibly);
    root.destroyForcibly();
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.run.RunContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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
    Process process = start(builder);
    try {
      // A step that reads stdin must see its end, not wait for input that never comes.
      process.getOutputStream().close();
    } catch (IOException e) {
      // Closing our end of a pipe cannot fail in a way that matters to the step.
    }
    AtomicBoolean killed = killOnCancel(process, context);
    try {
      List<String> tail = log(process.getInputStream(), LogStream.STDOUT, context);
      return new Outcome(process.waitFor(), tail, killed.get());
    } catch (IOException e) {
      killTree(process.toHandle());
      throw new ExecException("lost the step's output: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      killTree(process.toHandle());
      Thread.currentThread().interrupt();
      throw new ExecException("interrupted while the step ran", e);
    }
  }

  /**
   * Starts {@code builder} with its stdin and stdout given to {@code conversation}, on a thread of
   * its own, while its stderr goes to the log on this one; runs both to their end. A conversation
   * that fails kills the process, and its failure is the run's.
   */
  static Outcome runAttached(
      ProcessBuilder builder, RunContext context, Executor.Conversation conversation)
      throws ExecException {
    builder.redirectErrorStream(false);
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    Process process = start(builder);
    AtomicBoolean killed = killOnCancel(process, context);
    java.util.concurrent.atomic.AtomicReference<Throwable> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread talker =
        new Thread(
            () -> {
              try (var fromProgram = process.getInputStream();
                  var toProgram = process.getOutputStream()) {
                conversation.talk(fromProgram, toProgram);
              } catch (Throwable e) {
                failed.set(e);
                killStarted(process);
              }
            },
            "kiln-conversation-" + process.pid());
    talker.setDaemon(true);
    talker.start();
    try {
      List<String> tail = log(process.getErrorStream(), LogStream.STDERR, context);
      int code = process.waitFor();
      talker.join();
      Throwable failure = failed.get();
      if (failure != null && !killed.get()) {
        throw new ExecException(
            failure.getMessage() == null ? failure.toString() : failure.getMessage(),
            failure instanceof Exception e ? e : new RuntimeException(failure));
      }
      return new Outcome(code, tail, killed.get());
    } catch (IOException e) {
      killTree(process.toHandle());
      throw new ExecException("lost the program's output: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      killTree(process.toHandle());
      Thread.currentThread().interrupt();
      throw new ExecException("interrupted while the program ran", e);
    }
  }

  private static Process start(ProcessBuilder builder) throws ExecException {
    try {
      return builder.start();
    } catch (IOException e) {
      throw new ExecException("could not start the sandbox: " + e.getMessage(), e);
    }
  }

  /** Kills the process tree when the work is cancelled; true once it was killed so. */
  private static AtomicBoolean killOnCancel(Process process, RunContext context) {
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
    return killed;
  }

  /** Sends {@code output}'s lines to the log until it ends; returns the last of them. */
  private static List<String> log(InputStream output, LogStream stream, RunContext context)
      throws IOException {
    Deque<String> tail = new ArrayDeque<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        context.logs().line(stream, line);
        tail.addLast(line);
        if (tail.size() > TAIL_LINES) {
          tail.removeFirst();
        }
      }
    }
    return List.copyOf(tail);
  }

  /**
   * Kills a process tree that may still be starting: bwrap killed before it forks its child could
   * leave that child behind, so wait (at most a second) until the child exists.
   */
  private static void killStarted(Process process) {
    long deadline = System.nanoTime() + 1_000_000_000L;
    try {
      while (process.isAlive()
          && process.toHandle().descendants().findAny().isEmpty()
          && System.nanoTime() < deadline) {
        process.waitFor(10, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    killTree(process.toHandle());
  }

  // Children first, so that nothing is reparented and escapes while the parent dies.
  private static void killTree(ProcessHandle root) {
    root.descendants().forEach(ProcessHandle::destroyForcibly);
    root.destroyForcibly();
  }
}

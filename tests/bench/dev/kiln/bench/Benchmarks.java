package dev.kiln.bench;

import dev.kiln.engine.Engine;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.local.LocalExporter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** What the benchmarks share: solving, timing, exporting, reading progress, printing figures. */
final class Benchmarks {
  private Benchmarks() {}

  static Outcome.Solved solve(Engine engine, Definition definition, Consumer<ProgressEvent> events)
      throws Exception {
    return solve(engine, definition, java.util.Map.of(), events);
  }

  /** Solves with {@code locals} as the build's {@code local://} directories. */
  static Outcome.Solved solve(
      Engine engine,
      Definition definition,
      java.util.Map<String, java.nio.file.Path> locals,
      Consumer<ProgressEvent> events)
      throws Exception {
    Outcome outcome =
        engine.solve(definition, locals, events).toCompletableFuture().get(5, TimeUnit.MINUTES);
    if (outcome instanceof Outcome.SolveFailed failed) {
      throw new AssertionError(failed.error().render());
    }
    return (Outcome.Solved) outcome;
  }

  static Outcome.Solved solve(Engine engine, Definition definition) throws Exception {
    return solve(engine, definition, event -> {});
  }

  /** Wall seconds to solve {@code definition}. */
  static double time(Engine engine, Definition definition) throws Exception {
    long start = System.nanoTime();
    solve(engine, definition);
    return seconds(start);
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  static Path export(Engine engine, Outcome.Solved solved, Path dir) throws Exception {
    new LocalExporter(dir)
        .export(ExportInput.of(engine, ((SnapshotResult) solved.result()).snapshot()));
    return dir;
  }

  static Path export(Engine engine, Definition definition, Path dir) throws Exception {
    return export(engine, solve(engine, definition), dir);
  }

  /**
   * The position of the first event of {@code type} whose vertex name starts with {@code prefix}.
   */
  static int firstIndex(List<ProgressEvent> events, Class<?> type, String prefix) {
    for (int i = 0; i < events.size(); i++) {
      ProgressEvent e = events.get(i);
      String name =
          e instanceof ProgressEvent.VertexStarted s
              ? s.name()
              : e instanceof ProgressEvent.VertexCompleted c ? c.name() : "";
      if (type.isInstance(e) && name.startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " for " + prefix + " in " + events);
  }

  /** One kiln process: exit code, output (stdout and stderr) and wall time. */
  record KilnProcess(int exit, String output, double seconds) {}

  /** Runs {@code kiln args} in a JVM of its own and waits for it. */
  static KilnProcess kiln(String... args) throws Exception {
    archive();
    long start = System.nanoTime();
    Process process = startKiln(args);
    String output =
        new String(
            process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    process.waitFor();
    return new KilnProcess(process.exitValue(), output, seconds(start));
  }

  /** The command line of {@code ./kiln args}, as users run it (its class-data archive made). */
  static java.util.List<String> kilnCommand(String... args) throws Exception {
    archive();
    java.util.List<String> command =
        new java.util.ArrayList<>(java.util.List.of(kiln().toString()));
    command.addAll(java.util.List.of(args));
    return command;
  }

  private static boolean archived;

  /**
   * Makes {@code ./kiln}'s class-data archive, once per run, so that no timed start pays for it.
   */
  private static synchronized void archive() throws Exception {
    if (!archived) {
      Process first = new ProcessBuilder(kiln().toString(), "--version").inheritIO().start();
      if (first.waitFor() != 0) {
        throw new IllegalStateException("./kiln --version failed");
      }
      archived = true;
    }
  }

  private static Path kiln() {
    return dev.kiln.engine.testing.BusyboxLayout.repositoryRoot().resolve("kiln");
  }

  /**
   * Starts {@code kiln args} as users run it: the repository's {@code ./kiln}, whose JVM starts
   * from its class-data-sharing archive ({@link #kiln(String...)} makes it first, untimed).
   */
  private static Process startKiln(String... args) throws Exception {
    Process process = new ProcessBuilder(kilnCommand(args)).redirectErrorStream(true).start();
    process.getOutputStream().close();
    return process;
  }

  /** Prints a memory figure in MiB. */
  static void reportMemory(String what, long bytes) {
    System.out.printf(Locale.ROOT, "BENCH %-58s %7.1f MiB%n", what, bytes / (1024.0 * 1024.0));
  }

  /** The middle value (the upper one of an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new java.util.ArrayList<>(values);
    java.util.Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  /** Prints a difference in milliseconds (a cost on top of a baseline of the same run). */
  static void reportMillis(String what, double millis) {
    System.out.printf(Locale.ROOT, "BENCH %-58s %7.1f ms%n", what, millis);
  }

  /** Prints one figure, and its ratio to the baseline measured in the same run. */
  static void report(String what, double seconds, double baseline) {
    System.out.printf(
        Locale.ROOT, "BENCH %-58s %7.3f s  (%.1fx baseline)%n", what, seconds, seconds / baseline);
  }
}

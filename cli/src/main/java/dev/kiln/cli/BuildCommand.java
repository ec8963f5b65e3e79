package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.snapshot.SnapshotterMode;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.local.LocalExporter;
import dev.kiln.exporter.tar.TarExporter;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln build}: solves a definition with an embedded engine and exports the result. */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = "Build a definition (a JSON build graph) and export its result.")
final class BuildCommand implements Callable<Integer> {
  @Option(
      names = "--definition",
      required = true,
      paramLabel = "FILE",
      description = "The build graph to solve, as JSON (see docs/definition.md).")
  Path definition;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "SPEC",
      description =
          "Where the result goes: type=local,dest=DIR (its files in a directory) or"
              + " type=tar,dest=FILE (one tar archive). Without it the result stays in the cache.")
  Optional<String> output = Optional.empty();

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      defaultValue = "auto",
      description =
          "Progress display: auto, plain or quiet (auto is plain until the TTY display lands).")
  String progress;

  @Option(
      names = "--root",
      paramLabel = "DIR",
      description =
          "Kiln's state directory (default: /var/lib/kiln as root, else ~/.local/share/kiln)."
              + " Steps that run as another user need it reachable by all users.")
  Optional<Path> root = Optional.empty();

  @Option(
      names = "--local",
      paramLabel = "NAME=DIR",
      description = "The host directory that local://NAME sources read; repeatable.")
  List<String> locals = List.of();

  @Option(
      names = "--snapshotter",
      paramLabel = "MODE",
      description =
          "How snapshots become root filesystems: overlay (mounts, fast) or copy (plain"
              + " directories, for hosts without overlay mounts). Default: overlay where it works.")
  Optional<String> snapshotter = Optional.empty();

  @Option(
      names = "--exec-slots",
      paramLabel = "N",
      defaultValue = "0",
      description = "How many steps may run at once (default: two per core).")
  int execSlots;

  @Override
  public Integer call() throws Exception {
    PrintStream err = System.err;
    Definition graph;
    Optional<Exporter> exporter;
    Map<String, Path> localDirs;
    Optional<SnapshotterMode> mode;
    try {
      exporter = output.map(BuildCommand::exporterFor);
      localDirs = parseLocals();
      if (!progress.equals("auto") && !progress.equals("plain") && !progress.equals("quiet")) {
        throw new IllegalArgumentException("--progress " + progress + ": use auto, plain or quiet");
      }
      mode = snapshotter.map(BuildCommand::snapshotterMode);
      graph = DefinitionReader.read(definition);
    } catch (InvalidDefinitionException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    Path state = root.orElseGet(BuildCommand::defaultRoot);
    Timings timings = new Timings();
    try (Engine engine = Engine.start(new EngineConfig(state, execSlots, localDirs, mode))) {
      timings.lap("start-up");
      Consumer<ProgressEvent> printer =
          progress.equals("quiet") ? event -> {} : new PlainProgressPrinter(err);
      Outcome outcome = engine.solve(graph, printer).toCompletableFuture().get();
      timings.lap("solve");
      if (outcome instanceof Outcome.SolveFailed failed) {
        err.println();
        err.println("ERROR: " + failed.error().render());
        return 1;
      }
      var solved = (Outcome.Solved) outcome;
      if (exporter.isPresent()) {
        var snapshot = ((SnapshotResult) solved.result()).snapshot();
        exporter.get().export(snapshot, engine.snapshotter());
        timings.lap("export");
        err.println("exported to " + exporter.get().describe());
      }
      err.println(
          "built "
              + solved.key().digest().shortForm()
              + " ("
              + timings
              + "; "
              + engine.describe()
              + ")");
      return 0;
    } catch (java.io.IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
  }

  private static Exporter exporterFor(String spec) {
    OutputSpec parsed = OutputSpec.parse(spec);
    if (parsed instanceof OutputSpec.Local local) {
      return new LocalExporter(local.dest());
    }
    return new TarExporter(((OutputSpec.Tar) parsed).dest());
  }

  private static SnapshotterMode snapshotterMode(String name) {
    for (SnapshotterMode mode : SnapshotterMode.values()) {
      if (mode.label().equals(name)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("--snapshotter " + name + ": use overlay or copy");
  }

  private Map<String, Path> parseLocals() {
    Map<String, Path> dirs = new LinkedHashMap<>();
    for (String local : locals) {
      int eq = local.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--local " + local + ": use NAME=DIR");
      }
      Path dir = Path.of(local.substring(eq + 1));
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--local " + local + ": " + dir + " is not a directory");
      }
      dirs.put(local.substring(0, eq), dir.toAbsolutePath());
    }
    return dirs;
  }

  /** {@code /var/lib/kiln} as root (as BuildKit's daemon), else the XDG data directory. */
  static Path defaultRoot() {
    if (isRoot()) {
      return Path.of("/var/lib/kiln");
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    Path base =
        xdg != null && !xdg.isEmpty()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".local", "share");
    return base.resolve("kiln");
  }

  private static boolean isRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}

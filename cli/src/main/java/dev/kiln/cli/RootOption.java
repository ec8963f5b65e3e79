package dev.kiln.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --root DIR}: Kiln's state directory, shared by every command that opens an engine. */
final class RootOption {
  @Option(
      names = "--root",
      paramLabel = "DIR",
      description =
          "Kiln's state directory (default: /var/lib/kiln as root, else"
              + " $XDG_DATA_HOME/kiln or ~/.local/share/kiln)."
              + " Steps that run as another user need it reachable by all users.")
  Optional<Path> root = Optional.empty();

  /** The directory given, or the default. */
  Path path() {
    return root.orElseGet(RootOption::defaultRoot);
  }

  /**
   * An engine on this root that keeps ended build jobs as {@code jobs.json} says: every engine that
   * reads or ends jobs needs it, since reading the job history erases what is past it.
   */
  dev.kiln.engine.EngineConfig engineConfig() throws java.io.IOException {
    return dev.kiln.engine.EngineConfig.at(path()).withKeepJobs(keepJobs());
  }

  /** How long ended build jobs are kept: {@code $KILN_CONFIG/jobs.json}, else 48 hours. */
  static java.time.Duration keepJobs() throws java.io.IOException {
    return dev.kiln.engine.job.JobRetention.load(
        dev.kiln.engine.job.JobRetention.defaultFile(System.getenv()));
  }

  static Path defaultRoot() {
    if (HostMode.current().systemWide()) {
      return Path.of("/var/lib/kiln");
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    Path base =
        xdg != null && !xdg.isEmpty() ? Path.of(xdg) : HostMode.home().resolve(".local/share");
    return base.resolve("kiln");
  }
}

package dev.kiln.cli;

import dev.kiln.engine.StartupPrewarm;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kiln} command. */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    version = "kiln 0.1.0",
    description = "Builds artifacts from build graphs, efficiently and repeatably.",
    subcommands = {
      BuildCommand.class,
      DaemonCommand.class,
      LoginCommand.class,
      LogoutCommand.class,
      DuCommand.class,
      PruneCommand.class,
      BuildsCommand.class,
      CancelCommand.class,
      WarmUpCommand.class,
      CommandLine.HelpCommand.class
    })
public final class KilnCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // SLF4J reports, at WARN, log calls it replayed while logback was starting: noise for users.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    if (startsAnEngine(args, System.getenv("KILN_HOST"))) {
      StartupPrewarm.start();
    }
    System.exit(run(args));
  }

  /**
   * Whether the command will start an engine (and so gains from loading its configuration early):
   * not for a client of a daemon, nor for help, version, login and logout.
   */
  static boolean startsAnEngine(String[] args, String kilnHost) {
    java.util.List<String> words = java.util.List.of(args);
    if (words.isEmpty()) {
      return false;
    }
    boolean client =
        words.contains("--addr")
            || words.stream().anyMatch(w -> w.startsWith("--addr="))
            || (kilnHost != null && !kilnHost.isEmpty());
    return switch (words.get(0)) {
      case "build" -> !client;
      case "du", "prune" -> !client;
      case "daemon", "warm-up" -> true;
      default -> false;
    };
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int run(String... args) {
    return new CommandLine(new KilnCommand()).execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: try kiln build --help");
  }
}

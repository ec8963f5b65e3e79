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
      WarmUpCommand.class,
      CommandLine.HelpCommand.class
    })
public final class KilnCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // SLF4J reports, at WARN, log calls it replayed while logback was starting: noise for users.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    StartupPrewarm.start();
    System.exit(run(args));
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

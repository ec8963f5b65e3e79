package dev.kiln.cli;

import dev.kiln.engine.StartupPrewarm;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kiln} command. */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    version = "kiln 0.1.0",
    description = "Builds artifacts from build graphs, efficiently and repeatably.")
public final class KilnCommand implements Runnable {
  /**
   * The subcommands, by name, in the order help lists them. They are added in code rather than in
   * the annotation so that a command line naming one builds the model of that one alone: picocli
   * reflects over every option of every subcommand it is given, ~50 ms of each start. Held by a
   * class of its own, made at first use: linking its sixteen constructor references took every
   * start milliseconds, which a daemon's client (filled by {@link QuickArgs}) no longer pays.
   */
  private static final class Subcommands {
    static final Map<String, Supplier<Object>> ALL = subcommands();
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // SLF4J reports, at WARN, log calls it replayed while logback was starting: noise for users.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    // Who holds a root, as a second process on it is told (engine.RootLock).
    System.setProperty(dev.kiln.engine.RootLock.COMMAND_PROPERTY, "kiln " + String.join(" ", args));
    boolean engine = startsAnEngine(args, System.getenv("KILN_HOST"));
    if (engine || (args.length > 0 && List.of("ls", "resume").contains(args[0]))) {
      HostMode mode = HostMode.current();
      if (mode.refusal().isPresent()) {
        System.err.println("kiln: " + mode.refusal().get());
        System.exit(1);
      }
      mode.warning().ifPresent(warning -> System.err.println("kiln: " + warning));
    }
    if (engine) {
      StartupPrewarm.start();
    }
    System.exit(run(args));
  }

  private static int callQuietly(BuildCommand command) {
    try {
      return command.call();
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  /** Whether {@code args} name a daemon ({@code --addr}, or {@code KILN_HOST} set). */
  static boolean isClient(String[] args, String kilnHost) {
    java.util.List<String> words = java.util.List.of(args);
    return words.contains("--addr")
        || words.stream().anyMatch(w -> w.startsWith("--addr="))
        || (kilnHost != null && !kilnHost.isEmpty());
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
    boolean client = isClient(args, kilnHost);
    return switch (words.get(0)) {
      case "build" -> !client;
      case "du", "prune" -> !client;
      case "daemon", "warm-up" -> true;
      default -> false;
    };
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int run(String... args) {
    if (args.length > 0 && args[0].equals("build") && isClient(args, System.getenv("KILN_HOST"))) {
      // A daemon's client: filled without picocli when the command line is a plain one.
      BuildCommand quick = new BuildCommand();
      if (QuickArgs.fill(quick, java.util.List.of(args).subList(1, args.length))) {
        quick.commandLine = java.util.List.of(args).subList(1, args.length);
        return callQuietly(quick);
      }
    }
    CommandLine line = commandLine(args);
    CommandLine build = line.getSubcommands().get("build");
    if (build != null && args.length > 0 && args[0].equals("build")) {
      ((BuildCommand) build.getCommand()).commandLine =
          java.util.List.of(args).subList(1, args.length);
    }
    return line.execute(args);
  }

  /** The whole command, with every subcommand. */
  public static CommandLine commandLine() {
    CommandLine line = new CommandLine(new KilnCommand());
    Subcommands.ALL.forEach((name, command) -> line.addSubcommand(name, command.get()));
    return line;
  }

  /**
   * The command for {@code args}: with only the subcommand they name, when they name one (help for
   * it and its errors read the same), else the whole command.
   */
  static CommandLine commandLine(String... args) {
    if (args.length == 0 || !Subcommands.ALL.containsKey(args[0]) || args[0].equals("help")) {
      return commandLine();
    }
    CommandLine line = new CommandLine(new KilnCommand());
    line.addSubcommand(args[0], Subcommands.ALL.get(args[0]).get());
    return line;
  }

  private static Map<String, Supplier<Object>> subcommands() {
    Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
    commands.put("build", BuildCommand::new);
    commands.put("daemon", DaemonCommand::new);
    commands.put("login", LoginCommand::new);
    commands.put("logout", LogoutCommand::new);
    commands.put("du", DuCommand::new);
    commands.put("prune", PruneCommand::new);
    commands.put("check", CheckCommand::new);
    commands.put("builds", BuildsCommand::new);
    commands.put("cancel", CancelCommand::new);
    commands.put("attach", AttachCommand::new);
    commands.put("resume", ResumeCommand::new);
    commands.put("ls", LsCommand::new);
    commands.put("info", InfoCommand::new);
    commands.put("cluster", ClusterCommand::new);
    commands.put("warm-up", WarmUpCommand::new);
    // A lambda rather than HelpCommand::new: linking a constructor reference loads picocli's
    // HelpCommand at every start, and ./kiln's class-data archive cannot hold a Java 5 class linked
    // while it is dumped, so every command opened picocli's jar for it (~20 ms).
    commands.put("help", () -> new CommandLine.HelpCommand());
    return Collections.unmodifiableMap(commands);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: try kiln build --help");
  }
}

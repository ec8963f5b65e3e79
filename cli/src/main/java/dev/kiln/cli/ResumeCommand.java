package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln resume ID}: goes on with an embedded build that was interrupted (its process killed
 * mid-way), with the command line its job recorded: the steps it finished come from the cache, the
 * others run, then its outputs are written.
 */
@Command(
    name = "resume",
    mixinStandardHelpOptions = true,
    description =
        "Go on with an interrupted build of this root (a kiln build killed mid-way): its finished"
            + " steps are not run again.")
final class ResumeCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ID", description = "The build's id (#0 build ID in its output).")
  String id;

  @Mixin RootOption root = new RootOption();

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      description = "Progress display, as kiln build's (default: the build's own).")
  Optional<String> progress = Optional.empty();

  @Override
  public Integer call() throws Exception {
    BuildId build;
    JobState job;
    try {
      build = BuildId.parse(id);
      try (Engine engine = Engine.start(root.engineConfig())) {
        job = engine.job(build);
      }
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    if (job.status() != JobState.Status.RUNNING) {
      System.err.println(
          "error: build "
              + build
              + (job.status() == JobState.Status.NEW
                  ? " has no job in " + root.path()
                  : " is not interrupted: it " + job.status().name().toLowerCase(Locale.ROOT)));
      return 1;
    }
    var accepted = job.accepted().orElseThrow();
    Path here = Path.of("").toAbsolutePath();
    if (accepted.workdir().isEmpty()) {
      System.err.println("error: build " + build + " ran on a daemon; it resumes there");
      return 1;
    }
    if (!here.equals(Path.of(accepted.workdir()))) {
      // Its command line's relative paths are relative to where it was given.
      System.err.println(
          "error: build " + build + " was started in " + accepted.workdir() + ": resume it there");
      return 1;
    }
    List<String> options = accepted.options();
    BuildCommand command = new BuildCommand();
    try {
      new CommandLine(command).parseArgs(options.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      System.err.println(
          "error: build " + build + "'s command line no longer parses: " + e.getMessage());
      return 1;
    }
    command.root.root = Optional.of(root.path());
    progress.ifPresent(mode -> command.progress = mode);
    command.buildId = Optional.of(build);
    command.resume = true;
    command.commandLine = options;
    System.err.println("resuming build " + build + ": kiln build " + String.join(" ", options));
    return command.call();
  }
}

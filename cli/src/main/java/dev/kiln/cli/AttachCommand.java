package dev.kiln.cli;

import dev.kiln.engine.job.BuildId;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln attach ID}: follows a daemon's build from another terminal, or after its client was
 * killed, with the display its client has; exits with the build's exit code.
 */
@Command(
    name = "attach",
    description =
        "Follow a build running on a daemon (its id is in kiln builds): its progress so far, then"
            + " live; exits as the build does. An interrupt stops following, not the build.")
final class AttachCommand implements Callable<Integer> {
  @Mixin DaemonOption daemon = new DaemonOption();

  @Parameters(paramLabel = "ID", description = "The build's id.")
  String id;

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      description = "Progress display: auto, plain, tty, quiet, rawjson (default: auto).")
  String progress = "auto";

  @Override
  public Integer call() throws Exception {
    try {
      ProgressDisplay.check(progress);
      DaemonAddress address = daemon.required("kiln attach");
      return DaemonClient.attach(address, BuildId.parse(id).value(), progress, System.err);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }
}

package dev.kiln.cli;

import dev.kiln.engine.registry.DockerCredentials;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kiln logout [SERVER]}: forgets the stored credentials for a registry. */
@Command(
    name = "logout",
    mixinStandardHelpOptions = true,
    description = "Forget the credentials stored for a registry (default docker.io).")
final class LogoutCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "SERVER", description = "The registry.")
  Optional<String> server = Optional.empty();

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;

  LogoutCommand() {
    this(System.getenv(), System.out, System.err);
  }

  LogoutCommand(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    try {
      String registry = DockerCredentials.registryName(server.orElse("docker.io"));
      if (DockerCredentials.fromEnvironment(env).remove(registry)) {
        out.println("Removed the credentials for " + registry);
      } else {
        out.println("Not logged in to " + registry);
      }
      return 0;
    } catch (IllegalArgumentException | IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
  }
}

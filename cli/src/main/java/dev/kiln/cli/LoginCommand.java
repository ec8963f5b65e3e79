package dev.kiln.cli;

import dev.kiln.engine.registry.Credentials;
import dev.kiln.engine.registry.DockerCredentials;
import dev.kiln.engine.registry.RegistryClient;
import dev.kiln.engine.registry.RegistryException;
import dev.kiln.engine.registry.RegistryHosts;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln login [SERVER] -u USER --password-stdin}: checks the credentials against the
 * registry's {@code /v2/}, then stores them as {@code docker login} does (Docker's config file, or
 * its credential helper), so that Kiln and Docker share them.
 */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description = {
      "Log in to a registry (default docker.io): check the credentials, then store them in"
          + " Docker's config file ($DOCKER_CONFIG/config.json or ~/.docker/config.json) or its"
          + " credential helper."
    })
final class LoginCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "SERVER",
      description = "The registry: docker.io, ghcr.io, localhost:5000…")
  Optional<String> server = Optional.empty();

  @Option(
      names = {"-u", "--username"},
      required = true,
      paramLabel = "USER",
      description = "The user name.")
  String username;

  @Option(
      names = "--password-stdin",
      description = "Read the password (or token) from standard input.")
  boolean passwordStdin;

  private final Map<String, String> env;
  private final InputStream stdin;
  private final PrintStream out;
  private final PrintStream err;

  LoginCommand() {
    this(System.getenv(), System.in, System.out, System.err);
  }

  LoginCommand(Map<String, String> env, InputStream stdin, PrintStream out, PrintStream err) {
    this.env = env;
    this.stdin = stdin;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    String registry;
    String password;
    try {
      registry = DockerCredentials.registryName(server.orElse("docker.io"));
      password = password();
    } catch (IllegalArgumentException | IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    Credentials credentials = Credentials.of(username, password);
    try {
      RegistryClient client =
          RegistryClient.builder()
              .hosts(RegistryHosts.load(RegistryHosts.defaultFile(env)))
              .credentials(
                  name -> name.equals(registry) ? Optional.of(credentials) : Optional.empty(),
                  "the command line")
              .build();
      client.checkLogin(registry);
    } catch (RegistryException e) {
      if (e.kind() == RegistryException.Kind.UNAUTHORIZED) {
        err.println(
            "error: login to " + registry + " failed: it refused user " + username + "'s password");
      } else {
        err.println("error: login to " + registry + " failed: " + e.getMessage());
      }
      return 1;
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    try {
      String where = DockerCredentials.fromEnvironment(env).save(registry, credentials);
      err.println("credentials for " + registry + " stored " + where);
    } catch (IOException e) {
      err.println("error: the login worked, but storing it failed: " + e.getMessage());
      return 1;
    }
    out.println("Login Succeeded");
    return 0;
  }

  private String password() throws IOException {
    if (username.isEmpty() || username.indexOf(':') >= 0) {
      throw new IllegalArgumentException("--username must be non-empty and without ':'");
    }
    String password;
    if (passwordStdin) {
      byte[] bytes = stdin.readNBytes(64 * 1024);
      password = new String(bytes, StandardCharsets.UTF_8);
      // As docker login: the line end a shell's echo or a file adds is not part of it.
      while (password.endsWith("\n") || password.endsWith("\r")) {
        password = password.substring(0, password.length() - 1);
      }
    } else {
      Console console = System.console();
      if (console == null) {
        throw new IllegalArgumentException(
            "no terminal to ask for the password: pass it with --password-stdin");
      }
      char[] typed = console.readPassword("Password: ");
      password = typed == null ? "" : new String(typed);
    }
    if (password.isEmpty()) {
      throw new IllegalArgumentException("the password is empty");
    }
    return password;
  }
}

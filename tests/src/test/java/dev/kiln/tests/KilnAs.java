package dev.kiln.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code kiln} command at {@code launcher} run as a user of this host: root (the tests' own
 * user) or an unprivileged one made by {@code scripts/test-users.sh}, with a home of its own and
 * nothing of the tests' environment but {@code extraEnv}.
 */
public record KilnAs(
    Path launcher, Optional<String> user, Path home, Map<String, String> extraEnv) {
  /** The checkout's launcher: the tests run in the {@code tests} module's directory. */
  public static final Path CHECKOUT = Path.of("..", "kiln").toAbsolutePath().normalize();

  /**
   * A copy of the checkout's launcher and jars in {@code dir}, which every user can reach: the
   * checkout itself may lie under a directory private to root.
   */
  public static Path copyLauncher(Path dir) throws IOException {
    Path target = CHECKOUT.resolveSibling("cli/target");
    Path lib = Files.createDirectories(dir.resolve("cli/target/lib"));
    try (var jars = Files.list(target.resolve("lib"))) {
      for (Path jar : (Iterable<Path>) jars::iterator) {
        Files.copy(jar, lib.resolve(jar.getFileName()));
      }
    }
    Files.copy(target.resolve("kiln.jar"), lib.resolveSibling("kiln.jar"));
    return Files.copy(CHECKOUT, dir.resolve("kiln"));
  }

  /** What one command did. */
  public record Result(int exit, String output) {}

  /** Kiln as {@code user}, its home {@code home} (made and given to the user). */
  public static KilnAs user(Path launcher, String user, Path home, Map<String, String> env)
      throws Exception {
    Files.createDirectories(home);
    Result owned = run(List.of("chown", "-R", user + ":", home.toString()));
    if (owned.exit() != 0) {
      throw new IOException("chown " + home + ": " + owned.output());
    }
    return new KilnAs(launcher, Optional.of(user), home, env);
  }

  /** Kiln as root, its home {@code home}. */
  public static KilnAs root(Path launcher, Path home, Map<String, String> env) throws IOException {
    Files.createDirectories(home);
    return new KilnAs(launcher, Optional.empty(), home, env);
  }

  /** Whether the user exists on this host. */
  public static boolean exists(String user) throws Exception {
    return run(List.of("id", "-u", user)).exit() == 0;
  }

  /** Runs {@code kiln args} and returns its exit code and merged output. */
  public Result kiln(String... args) throws Exception {
    return run(command(args), home);
  }

  /** The command line that runs {@code kiln args} as this user (for a daemon, say). */
  public List<String> command(String... args) {
    List<String> argv = new ArrayList<>();
    if (user.isPresent()) {
      argv.addAll(
          List.of("setpriv", "--reuid", user.get(), "--regid", user.get(), "--init-groups"));
    }
    argv.addAll(List.of("env", "-i"));
    argv.add("HOME=" + home);
    argv.add("USER=" + user.orElse("root"));
    argv.add(
        "PATH="
            + Path.of(System.getProperty("java.home"), "bin")
            + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    extraEnv.forEach((name, value) -> argv.add(name + "=" + value));
    argv.add(launcher.toString());
    argv.addAll(List.of(args));
    return argv;
  }

  /** Runs {@code argv} (any command) in {@code /}, its stdin empty. */
  public static Result run(List<String> argv) throws Exception {
    return run(argv, Path.of("/"));
  }

  private static Result run(List<String> argv, Path dir) throws Exception {
    Path log = Files.createTempFile("kiln-as-", ".log");
    try {
      Process process =
          new ProcessBuilder(argv)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IOException("timed out: " + argv);
      }
      return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}

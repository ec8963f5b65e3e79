package dev.kiln.engine.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL for tests: Debian's server binaries ({@code postgresql}, which
 * scripts/install-deps.sh installs) run as a private instance in a temp directory, on 127.0.0.1 and
 * a free port, with trust authentication and durability off (a test's data need not outlive it). As
 * root it runs as the {@code postgres} user, which PostgreSQL demands. Close it to stop it.
 */
public final class PostgresServer implements AutoCloseable {
  private static final Duration READY_DEADLINE = Duration.ofSeconds(60);

  /** The superuser initdb makes. */
  public static final String USER = "kiln";

  private final Process process;
  private final Path dir;
  private final Path log;
  private final int port;

  private PostgresServer(Process process, Path dir, Path log, int port) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.port = port;
  }

  /** Starts one and waits until it answers. */
  public static PostgresServer start() throws IOException, InterruptedException {
    Path bin = binaries();
    Path dir = Files.createTempDirectory("kiln-postgres");
    boolean root = "root".equals(System.getProperty("user.name"));
    List<String> as = new ArrayList<>();
    if (root) {
      UserPrincipal postgres =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
      as.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    Path log = dir.resolve("server.log");
    List<String> initdb = new ArrayList<>(as);
    initdb.addAll(
        List.of(
            bin.resolve("initdb").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync"));
    Process init = new ProcessBuilder(initdb).redirectErrorStream(true).start();
    String said = new String(init.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!init.waitFor(2, TimeUnit.MINUTES) || init.exitValue() != 0) {
      throw new IOException("initdb failed: " + said);
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    List<String> server = new ArrayList<>(as);
    server.addAll(
        List.of(
            bin.resolve("postgres").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-p",
            Integer.toString(port),
            "-k",
            dir.toString(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off"));
    Process process =
        new ProcessBuilder(server).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PostgresServer started = new PostgresServer(process, dir, log, port);
    started.awaitReady();
    return started;
  }

  /** The newest server binaries Debian installed. */
  private static Path binaries() throws IOException {
    try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions
          .filter(version -> Files.isExecutable(version.resolve("bin/postgres")))
          .max(
              java.util.Comparator.comparingInt(
                  version -> Integer.parseInt(version.getFileName().toString())))
          .map(version -> version.resolve("bin"))
          .orElseThrow(() -> new IOException("no PostgreSQL server under /usr/lib/postgresql"));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(
          "PostgreSQL is not installed (scripts/install-deps.sh installs Debian's postgresql)", e);
    }
  }

  private void awaitReady() throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(READY_DEADLINE);
    while (true) {
      try (Connection connection = connect("postgres")) {
        return;
      } catch (SQLException e) {
        if (!process.isAlive() || Instant.now().isAfter(deadline)) {
          close();
          throw new IOException("PostgreSQL did not start: " + Files.readString(log), e);
        }
        // Not listening yet: asking again is how PostgreSQL's own pg_isready waits.
        Thread.sleep(100);
      }
    }
  }

  /** A new, empty database {@code name}; its JDBC URL. */
  public String createDatabase(String name) throws SQLException {
    try (Connection connection = connect("postgres")) {
      connection.createStatement().execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  /** The JDBC URL of database {@code name}. */
  public String url(String name) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
  }

  /** A connection to database {@code name} as {@link #USER}. */
  public Connection connect(String name) throws SQLException {
    return DriverManager.getConnection(url(name), USER, "");
  }

  public int port() {
    return port;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
  }
}

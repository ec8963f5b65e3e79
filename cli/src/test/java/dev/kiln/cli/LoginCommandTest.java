package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.registry.RegistryClient;
import dev.kiln.engine.testing.RegistryServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kiln login} and {@code kiln logout} against a real registry with htpasswd auth. */
class LoginCommandTest {
  private static RegistryServer registry;

  @TempDir Path temp;
  private Map<String, String> env;
  private Path config;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void startRegistry() throws IOException {
    registry = RegistryServer.start(Map.of("alice", "s3cret"));
  }

  @AfterAll
  static void stopRegistry() throws IOException {
    registry.close();
  }

  @BeforeEach
  void environment() {
    env =
        Map.of(
            "DOCKER_CONFIG", temp.resolve("docker").toString(),
            "KILN_CONFIG", temp.resolve("kiln").toString(),
            "HOME", temp.toString(),
            "PATH", "/nonexistent");
    config = temp.resolve("docker/config.json");
  }

  @Test
  void loginChecksThePasswordThenStoresItKeepingOtherEntries() throws IOException {
    Files.createDirectories(config.getParent());
    Files.writeString(config, "{\"auths\":{\"other.io\":{\"auth\":\"eDp5\"}},\"psFormat\":\"x\"}");

    int exit = login("s3cret\n", registry.host(), "-u", "alice", "--password-stdin");

    assertEquals(0, exit, err());
    assertEquals("Login Succeeded\n", out.toString(StandardCharsets.UTF_8));
    JsonNode written = new ObjectMapper().readTree(config.toFile());
    assertEquals(
        Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)),
        written.path("auths").path(registry.host()).path("auth").asText());
    assertEquals("eDp5", written.path("auths").path("other.io").path("auth").asText());
    assertEquals("x", written.path("psFormat").asText());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
    assertTrue(err().contains("stored unencrypted in " + config), err());
    // What login stored is what pulls and pushes use.
    RegistryClient.fromEnvironment(env).checkLogin(registry.host());
  }

  @Test
  void aWrongPasswordIsRefusedAndNothingStored() {
    int exit = login("wrong", registry.host(), "-u", "alice", "--password-stdin");

    assertEquals(1, exit);
    assertEquals(
        "error: login to " + registry.host() + " failed: it refused user alice's password\n",
        err());
    assertFalse(Files.exists(config));
  }

  @Test
  void aServerGivenAsAUrlIsItsHost() {
    int exit =
        login("s3cret", "http://" + registry.host() + "/v2/", "-u", "alice", "--password-stdin");

    assertEquals(0, exit, err());
  }

  @Test
  void withoutPasswordStdinOrATerminalLoginSaysWhatToDo() {
    int exit = login("", registry.host(), "-u", "alice");

    assertEquals(1, exit);
    assertTrue(err().contains("pass it with --password-stdin"), err());
  }

  @Test
  void anInvalidServerIsRefused() {
    int exit = login("pw", "not a host", "-u", "alice", "--password-stdin");

    assertEquals(1, exit);
    assertTrue(err().startsWith("error: invalid registry \"not a host\""), err());
  }

  @Test
  void logoutForgetsTheCredentials() {
    assertEquals(0, login("s3cret", registry.host(), "-u", "alice", "--password-stdin"), err());
    out.reset();

    assertEquals(0, logout(registry.host()));
    assertEquals("Removed the credentials for " + registry.host() + "\n", out());
    out.reset();
    assertEquals(0, logout(registry.host()));
    assertEquals("Not logged in to " + registry.host() + "\n", out());
  }

  @Test
  void kilnListsLoginAndLogout() {
    CommandLine kiln = KilnCommand.commandLine();

    assertTrue(kiln.getSubcommands().containsKey("login"));
    assertTrue(kiln.getSubcommands().containsKey("logout"));
  }

  private int login(String stdin, String... args) {
    LoginCommand command =
        new LoginCommand(
            env,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CommandLine(command).execute(args);
  }

  private int logout(String... args) {
    LogoutCommand command =
        new LogoutCommand(
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CommandLine(command).execute(args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}

package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DockerCredentialsTest {
  @TempDir Path temp;
  private Path dockerConfig;
  private Path bin;
  private DockerCredentials credentials;

  @BeforeEach
  void setUp() throws IOException {
    dockerConfig = Files.createDirectories(temp.resolve("docker"));
    bin = Files.createDirectories(temp.resolve("bin"));
    credentials =
        DockerCredentials.fromEnvironment(
            Map.of("DOCKER_CONFIG", dockerConfig.toString(), "PATH", "/nonexistent:" + bin));
  }

  @Test
  void theConfigFileFollowsDockerConfigThenHome() {
    assertEquals(dockerConfig.resolve("config.json"), credentials.configFile());
    assertEquals(
        Path.of("/home/u/.docker/config.json"),
        DockerCredentials.fromEnvironment(Map.of("HOME", "/home/u")).configFile());
  }

  @Test
  void readsBase64AuthUnderDockersHubKey() throws IOException {
    config("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("bob:pa:ss") + "\"}}}");

    Credentials found = credentials.find("docker.io").orElseThrow();
    assertEquals("bob", found.username());
    assertEquals("pa:ss", found.password());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1:5000",
        "http://127.0.0.1:5000",
        "https://127.0.0.1:5000/v2/",
        "HTTPS://127.0.0.1:5000/v1/"
      })
  void keysWithSchemesAndPathsNameTheirHost(String key) throws IOException {
    config("{\"auths\":{\"" + key + "\":{\"username\":\"u\",\"password\":\"p\"}}}");

    assertEquals(Optional.of(Credentials.of("u", "p")), credentials.find("127.0.0.1:5000"));
    assertEquals(Optional.empty(), credentials.find("127.0.0.1:5001"));
  }

  @ParameterizedTest
  @CsvSource({
    "index.docker.io",
    "registry-1.docker.io",
    "docker.io",
    "https://index.docker.io/v1/"
  })
  void dockerHubAliasesAllNameDockerIo(String key) throws IOException {
    config("{\"auths\":{\"" + key + "\":{\"auth\":\"" + b64("u:p") + "\"}}}");

    assertEquals(Optional.of(Credentials.of("u", "p")), credentials.find("docker.io"));
  }

  @Test
  void anIdentityTokenIsKept() throws IOException {
    config("{\"auths\":{\"r.io\":{\"username\":\"u\",\"identitytoken\":\"refresh\"}}}");

    Credentials found = credentials.find("r.io").orElseThrow();
    assertEquals(Optional.of("refresh"), found.identityToken());
  }

  @Test
  void noFileOrNoEntryMeansAnonymous() throws IOException {
    assertEquals(Optional.empty(), credentials.find("docker.io"));
    config("{\"auths\":{\"other.io\":{}}, \"unrelated\": 1}");
    assertEquals(Optional.empty(), credentials.find("docker.io"));
    assertEquals(Optional.empty(), credentials.find("other.io"));
  }

  @Test
  void credentialsNeverAppearInToString() {
    assertFalse(Credentials.of("u", "hunter2").toString().contains("hunter2"));
  }

  @Test
  void aCredHelperForTheRegistryIsAskedWithTheServerOnStdin() throws IOException {
    helper("test", "{\"ServerURL\":\"x\",\"Username\":\"helped\",\"Secret\":\"s-$(cat)\"}");
    config(
        "{\"credHelpers\":{\"r.io\":\"test\"},\"auths\":{\"r.io\":{\"auth\":\""
            + b64("a:b")
            + "\"}}}");

    assertEquals(Optional.of(Credentials.of("helped", "s-r.io")), credentials.find("r.io"));
  }

  @Test
  void theCredsStoreIsAskedForDockerHubWithDockersKey() throws IOException {
    helper("test", "{\"Username\":\"hub\",\"Secret\":\"$(cat)\"}");
    config("{\"credsStore\":\"test\",\"auths\":{\"https://index.docker.io/v1/\":{}}}");

    assertEquals(
        Optional.of(Credentials.of("hub", "https://index.docker.io/v1/")),
        credentials.find("docker.io"));
  }

  @Test
  void aHelperTokenUserMeansAnIdentityToken() throws IOException {
    helper("test", "{\"Username\":\"<token>\",\"Secret\":\"refresh\"}");
    config("{\"credsStore\":\"test\"}");

    assertEquals(Optional.of("refresh"), credentials.find("r.io").orElseThrow().identityToken());
  }

  @Test
  void aHelperWithoutCredentialsFallsBackToAuths() throws IOException {
    Files.writeString(
        bin.resolve("docker-credential-test"),
        "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n");
    executable(bin.resolve("docker-credential-test"));
    config("{\"credsStore\":\"test\",\"auths\":{\"r.io\":{\"auth\":\"" + b64("a:b") + "\"}}}");

    assertEquals(Optional.of(Credentials.of("a", "b")), credentials.find("r.io"));
  }

  @Test
  void aMissingHelperIsAClearError() throws IOException {
    config("{\"credHelpers\":{\"r.io\":\"absent\"}}");

    IOException e = assertThrows(IOException.class, () -> credentials.find("r.io"));
    assertTrue(
        e.getMessage().contains("docker-credential-absent")
            && e.getMessage().contains("credHelpers in " + credentials.configFile())
            && e.getMessage().contains("not on the PATH"),
        e.getMessage());
  }

  @Test
  void aFailingOrGarbledHelperIsAClearError() throws IOException {
    Files.writeString(
        bin.resolve("docker-credential-broken"), "#!/bin/sh\necho 'keychain locked' >&2\nexit 3\n");
    executable(bin.resolve("docker-credential-broken"));
    helper("garbled", "not json");
    config("{\"credHelpers\":{\"a.io\":\"broken\",\"b.io\":\"garbled\"}}");

    IOException broken = assertThrows(IOException.class, () -> credentials.find("a.io"));
    assertTrue(broken.getMessage().contains("exit 3"), broken.getMessage());
    assertTrue(broken.getMessage().contains("keychain locked"), broken.getMessage());
    IOException garbled = assertThrows(IOException.class, () -> credentials.find("b.io"));
    assertTrue(garbled.getMessage().contains("not JSON"), garbled.getMessage());
  }

  @Test
  void aHelperNameThatIsAPathIsRefused() throws IOException {
    config("{\"credsStore\":\"../../bin/sh\"}");

    IOException e = assertThrows(IOException.class, () -> credentials.find("r.io"));
    assertTrue(e.getMessage().contains("invalid credential helper name"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{| not valid JSON",
        "[1]| expected a JSON object",
        "{\"auths\":[]}| \"auths\" must be an object",
        "{\"auths\":{\"r.io\":\"x\"}}| must be an object",
        "{\"auths\":{\"r.io\":{\"auth\":\"!!!\"}}}| is not base64",
        "{\"auths\":{\"r.io\":{\"auth\":\"bm9jb2xvbg==\"}}}| does not decode to user:password",
        "{\"auths\":{\"r.io\":{\"username\":5}}}| username must be a string",
        "{\"credHelpers\":[]}| \"credHelpers\" must be an object",
        "{\"credsStore\":7}| \"credsStore\" must be a helper name",
      })
  void aMalformedConfigIsRefusedNamingTheFile(String content, String problem) throws IOException {
    config(content);

    IOException e = assertThrows(IOException.class, () -> credentials.find("r.io"));
    assertTrue(e.getMessage().startsWith(credentials.configFile().toString()), e.getMessage());
    assertTrue(e.getMessage().contains(problem.strip()), e.getMessage());
  }

  @Test
  void saveWritesAuthsAtomicallyOwnerOnlyKeepingOtherEntries() throws IOException {
    config(
        "{\"auths\":{\"other.io\":{\"auth\":\"" + b64("o:p") + "\"}},\"detachKeys\":\"ctrl-q\"}");

    credentials.save("127.0.0.1:5000", Credentials.of("alice", "s3cret"));
    credentials.save("docker.io", Credentials.of("bob", "pw"));

    assertEquals(
        Optional.of(Credentials.of("alice", "s3cret")), credentials.find("127.0.0.1:5000"));
    assertEquals(Optional.of(Credentials.of("o", "p")), credentials.find("other.io"));
    String written = Files.readString(credentials.configFile());
    assertTrue(written.contains("\"detachKeys\""), written);
    assertTrue(written.contains("\"https://index.docker.io/v1/\""), written);
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(credentials.configFile())));
    assertEquals(1, Files.list(dockerConfig).count(), "no temp file left");
  }

  @Test
  void saveCreatesTheDirectoryAndRemoveForgets() throws IOException {
    DockerCredentials fresh =
        DockerCredentials.fromEnvironment(Map.of("DOCKER_CONFIG", temp.resolve("new").toString()));

    fresh.save("r.io", Credentials.of("u", "p"));
    assertEquals(Optional.of(Credentials.of("u", "p")), fresh.find("r.io"));
    assertTrue(fresh.remove("r.io"));
    assertFalse(fresh.remove("r.io"));
    assertEquals(Optional.empty(), fresh.find("r.io"));
  }

  @Test
  void saveAndRemoveGoThroughTheConfiguredHelper() throws IOException {
    Path log = temp.resolve("helper.log");
    Files.writeString(
        bin.resolve("docker-credential-test"), "#!/bin/sh\necho \"$1 $(cat)\" >> " + log + "\n");
    executable(bin.resolve("docker-credential-test"));
    config("{\"credHelpers\":{\"r.io\":\"test\"}}");

    credentials.save("r.io", Credentials.of("u", "p"));
    credentials.remove("r.io");

    List<String> calls = Files.readAllLines(log);
    assertEquals(
        List.of("store {\"ServerURL\":\"r.io\",\"Username\":\"u\",\"Secret\":\"p\"}", "erase r.io"),
        calls);
    assertFalse(Files.readString(credentials.configFile()).contains("auth\""));
  }

  private void config(String json) throws IOException {
    Files.writeString(dockerConfig.resolve("config.json"), json);
  }

  /** A fake helper that prints {@code reply} (a shell double-quoted string) for any action. */
  private void helper(String name, String reply) throws IOException {
    Path script = bin.resolve("docker-credential-" + name);
    Files.writeString(
        script, "#!/bin/sh\n[ \"$1\" = get ] || exit 9\ncat <<EOF\n" + reply + "\nEOF\n");
    executable(script);
  }

  private static void executable(Path script) throws IOException {
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}

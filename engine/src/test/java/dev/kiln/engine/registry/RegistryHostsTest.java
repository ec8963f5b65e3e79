package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegistryHostsTest {
  @TempDir Path dir;

  @Test
  void dockerHubIsServedByRegistryOneOverHttps() {
    RegistryEndpoint endpoint = RegistryHosts.defaults().pushEndpoint("docker.io");

    assertEquals(URI.create("https://registry-1.docker.io"), endpoint.base());
    assertEquals("docker.io", endpoint.registry());
    assertFalse(endpoint.mirror());
  }

  @ParameterizedTest
  @CsvSource({
    "localhost, http://localhost",
    "localhost:5000, http://localhost:5000",
    "127.0.0.1:5000, http://127.0.0.1:5000",
    "127.1.2.3, http://127.1.2.3",
    "[::1]:5000, http://[::1]:5000",
    "ghcr.io, https://ghcr.io",
    "myreg:5000, https://myreg:5000",
    "localhost.example.com, https://localhost.example.com",
  })
  void loopbackRegistriesUsePlainHttpAsDockerDoes(String registry, String base) {
    assertEquals(URI.create(base), RegistryHosts.defaults().pushEndpoint(registry).base());
  }

  @Test
  void readsMirrorsAndInsecureHostsFromTheFile() throws IOException {
    Path file =
        write(
            "{\"hosts\":{\"docker.io\":{\"mirrors\":[\"mirror.local:5000\","
                + "\"http://plain.local\",\"https://tls.local:8443/\"]},"
                + "\"myreg:5000\":{\"insecure\":true},"
                + "\"mirror.local:5000\":{\"insecure\":true}}}");
    RegistryHosts hosts = RegistryHosts.load(file);

    List<RegistryEndpoint> pulls = hosts.pullEndpoints("docker.io");
    assertEquals(
        List.of(
            URI.create("http://mirror.local:5000"),
            URI.create("http://plain.local"),
            URI.create("https://tls.local:8443"),
            URI.create("https://registry-1.docker.io")),
        pulls.stream().map(RegistryEndpoint::base).toList());
    assertTrue(pulls.get(0).mirror());
    assertEquals("docker.io", pulls.get(0).registry());
    assertEquals(
        URI.create("https://registry-1.docker.io"), hosts.pushEndpoint("docker.io").base());
    assertEquals(URI.create("http://myreg:5000"), hosts.pushEndpoint("myreg:5000").base());
    assertEquals(1, hosts.pullEndpoints("ghcr.io").size());
  }

  @Test
  void insecureFalseMeansHttpsEvenOnLoopback() throws IOException {
    RegistryHosts hosts =
        RegistryHosts.load(write("{\"hosts\":{\"localhost:5000\":{\"insecure\":false}}}"));

    assertEquals(URI.create("https://localhost:5000"), hosts.pushEndpoint("localhost:5000").base());
    assertEquals(URI.create("http://localhost:5001"), hosts.pushEndpoint("localhost:5001").base());
  }

  @Test
  void aMissingFileMeansDefaults() throws IOException {
    RegistryHosts hosts = RegistryHosts.load(dir.resolve("absent.json"));

    assertEquals(1, hosts.pullEndpoints("docker.io").size());
  }

  @Test
  void theDefaultFileFollowsKilnConfigThenHome() {
    assertEquals(
        Path.of("/etc/k/registries.json"),
        RegistryHosts.defaultFile(Map.of("KILN_CONFIG", "/etc/k", "HOME", "/home/u")));
    assertEquals(
        Path.of("/home/u/.config/kiln/registries.json"),
        RegistryHosts.defaultFile(Map.of("HOME", "/home/u")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{| not valid JSON",
        "[]| expected a JSON object",
        "{\"host\":{}}| unknown key \"host\" in the top level (known: hosts)",
        "{\"hosts\":[]}| \"hosts\" must be an object",
        "{\"hosts\":{\"docker.io\":{\"mirror\":[]}}}| unknown key \"mirror\" in hosts.\"docker.io\"",
        "{\"hosts\":{\"docker.io\":{\"mirrors\":\"m:5000\"}}}| mirrors must be an array of strings",
        "{\"hosts\":{\"docker.io\":{\"mirrors\":[5000]}}}| mirrors must be an array of strings",
        "{\"hosts\":{\"r:5000\":{\"insecure\":\"yes\"}}}| insecure must be true or false",
        "{\"hosts\":{\"bad host\":{}}}| host \"bad host\"",
        "{\"hosts\":{\"docker.io\":{\"mirrors\":[\"ftp://m\"]}}}| is not http(s)",
        "{\"hosts\":{\"docker.io\":{\"mirrors\":[\"m:5000/path\"]}}}| without a path",
        "{\"hosts\":{\"docker.io\":{\"mirrors\":[\"m:99999\"]}}}| invalid port",
        "{\"hosts\":{\"a\":{},\"a\":{}}}| Duplicate field",
        "{\"hosts\":{\"docker.io\":5}}| hosts.\"docker.io\" must be an object",
      })
  void aMalformedFileIsRefusedNamingTheFileAndTheProblem(String content, String problem)
      throws IOException {
    Path file = write(content);

    IOException e = assertThrows(IOException.class, () -> RegistryHosts.load(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(problem.strip()), e.getMessage());
  }

  @Test
  void anOversizedFileIsRefused() throws IOException {
    Path file = dir.resolve("registries.json");
    Files.write(file, new byte[2 * 1024 * 1024]);

    IOException e = assertThrows(IOException.class, () -> RegistryHosts.load(file));
    assertTrue(e.getMessage().contains("larger than"), e.getMessage());
  }

  private Path write(String content) throws IOException {
    return Files.writeString(dir.resolve("registries.json"), content);
  }
}

package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs BuildKit's own test vectors (kept in {@code shared/conformance/buildkit} next to the repo):
 * parser golden files, rejected files, and the shell expansion and word-splitting tables.
 */
class BuildkitConformanceTest {
  private static final Map<String, String> ENV_VAR_TEST_ENV =
      Map.of("PWD", "/home", "SHELL", "bash", "KOREAN", "한국어", "NULL", "");

  @TestFactory
  Stream<DynamicTest> everyTestfileDumpsExactlyItsResult() {
    return caseDirs("testfiles")
        .map(
            dir ->
                DynamicTest.dynamicTest(
                    dir.getFileName().toString(),
                    () -> {
                      ParsedDockerfile parsed =
                          DockerfileParser.parse(read(dir.resolve("Dockerfile")), "Dockerfile");
                      assertEquals(read(dir.resolve("result")), AstDump.dump(parsed));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> everyNegativeTestfileIsRejected() {
    return caseDirs("testfiles-negative")
        .map(
            dir ->
                DynamicTest.dynamicTest(
                    dir.getFileName().toString(),
                    () -> {
                      String text = read(dir.resolve("Dockerfile"));
                      assertThrows(
                          DockerfileParseException.class,
                          () -> DockerfileParser.parse(text, "Dockerfile"));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> everyUnixEnvVarTestLineExpandsAsBuildkit() {
    List<DynamicTest> tests = new ArrayList<>();
    List<String> lines = lines("envVarTest");
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\|", -1);
      String platform = parts[0].trim();
      if (!platform.equals("A") && !platform.equals("U")) {
        continue;
      }
      String input = parts[1].trim();
      String expected = parts[2].trim();
      tests.add(
          DynamicTest.dynamicTest(
              "envVarTest:" + (i + 1) + " " + input, () -> assertExpansion(input, expected)));
    }
    return tests.stream();
  }

  private static void assertExpansion(String input, String expected) {
    ShellLex lex = new ShellLex('\\');
    if (expected.equals("error")) {
      assertThrows(ShellExpansionException.class, () -> lex.processWord(input, ENV_VAR_TEST_ENV));
    } else {
      assertEquals(expected, lex.processWord(input, ENV_VAR_TEST_ENV));
    }
  }

  @TestFactory
  Stream<DynamicTest> everyWordsTestLineSplitsAsBuildkit() {
    List<DynamicTest> tests = new ArrayList<>();
    Map<String, String> env = new HashMap<>();
    List<String> lines = lines("wordsTest");
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("ENV ")) {
        String assignment = line.substring(3).replaceFirst("^ +", "");
        int eq = assignment.indexOf('=');
        env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
        continue;
      }
      String[] parts = line.split("\\|", -1);
      String input = parts[0].trim();
      String expected = parts[1].replaceFirst("^ +", "");
      Map<String, String> snapshot = Map.copyOf(env);
      tests.add(
          DynamicTest.dynamicTest(
              "wordsTest:" + (i + 1) + " " + input, () -> assertWords(input, expected, snapshot)));
    }
    return tests.stream();
  }

  private static void assertWords(String input, String expected, Map<String, String> env) {
    ShellLex lex = new ShellLex('\\');
    if (expected.equals("error")) {
      assertThrows(ShellExpansionException.class, () -> lex.processWords(input, env));
    } else {
      assertEquals(Arrays.asList(expected.split(",", -1)), lex.processWords(input, env));
    }
  }

  private static Stream<Path> caseDirs(String name) {
    Path dir = dataDir().resolve(name);
    try (Stream<Path> children = Files.list(dir)) {
      return children.filter(Files::isDirectory).sorted().toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> lines(String file) {
    return Arrays.asList(read(dataDir().resolve(file)).split("\n", -1));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code <repo root>/../shared/conformance/buildkit}; the repo root holds the kiln script. */
  private static Path dataDir() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("kiln"))) {
      dir = dir.getParent();
    }
    Path data =
        dir == null
            ? Path.of("../shared/conformance/buildkit").toAbsolutePath().normalize()
            : dir.resolve("../shared/conformance/buildkit").normalize();
    // CI always has the data beside the clone: there a missing directory is a failure, not a skip.
    if ("true".equals(System.getenv("CI")) && !Files.isDirectory(data)) {
      throw new IllegalStateException("BuildKit conformance data missing in CI: " + data);
    }
    Assumptions.assumeTrue(
        Files.isDirectory(data),
        "BuildKit conformance data not found at " + data + ": skipped (it is in CI)");
    return data;
  }
}

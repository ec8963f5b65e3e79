package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.DockerfileError;
import dev.kiln.frontend.dockerfile.ImageResolver;
import java.nio.charset.StandardCharsets;

/**
 * Any text given as a Dockerfile is parsed and converted, or rejected with a message naming the
 * file and line: never another exception. Seeds: {@code DockerfileParserFuzzTestInputs/parse/}.
 */
class DockerfileParserFuzzTest {
  private static final ImageResolver IMAGES =
      identifier -> new ObjectMapper().readTree("{\"config\":{\"Env\":[\"PATH=/bin\"]}}");

  @FuzzTest
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    ParsedDockerfile parsed;
    try {
      parsed = DockerfileParser.parse(text, "Dockerfile");
    } catch (DockerfileParseException e) {
      assertTrue(e.getMessage().startsWith("Dockerfile:" + e.line() + ": "), e.getMessage());
      assertTrue(e.line() >= 1, e.getMessage());
      assertFalse(e.detail().isBlank(), e.getMessage());
      assertTrue(e.excerpt().contains(e.detail()), e.excerpt());
      return;
    }
    try {
      DockerfileConverter.convert(parsed, BuildOptions.defaults(), IMAGES);
    } catch (DockerfileError e) {
      assertTrue(e.line() >= 0, e.getMessage());
      assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "an empty error message");
    }
  }
}

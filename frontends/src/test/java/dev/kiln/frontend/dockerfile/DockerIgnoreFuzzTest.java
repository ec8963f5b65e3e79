package dev.kiln.frontend.dockerfile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.engine.fileop.PathPatterns;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Any {@code .dockerignore} text compiles to patterns that match any path, or is rejected with a
 * message quoting the bad pattern: never another exception. Seeds: {@code
 * DockerIgnoreFuzzTestInputs/match/}: a path on the first line, then the file.
 */
class DockerIgnoreFuzzTest {
  @FuzzTest
  void match(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    int newline = text.indexOf('\n');
    String path = newline < 0 ? text : text.substring(0, newline);
    String file = newline < 0 ? "" : text.substring(newline + 1);
    List<String> lines = DockerIgnore.parse(file);
    PathPatterns patterns;
    try {
      patterns = PathPatterns.of(lines);
    } catch (PathPatterns.InvalidPatternException e) {
      assertTrue(
          lines.stream().anyMatch(line -> e.getMessage().contains("\"" + e.pattern() + "\"")),
          e.getMessage());
      return;
    }
    boolean matched = patterns.matches(path);
    // A path no pattern names, with no exception pattern, is never matched.
    if (lines.isEmpty()) {
      assertFalse(matched, () -> "no pattern matches " + path);
    }
    patterns.mayMatchBelow(path);
    assertFalse(lines.contains(""), "a blank pattern survived parsing");
  }
}

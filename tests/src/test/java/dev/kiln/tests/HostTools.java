package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

/** Host tools the tests check Kiln's results with (skopeo, umoci, …). */
final class HostTools {
  private HostTools() {}

  /** Runs {@code argv} and asserts that it succeeds, showing its output when it does not. */
  static void check(String... argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), String.join(" ", argv) + ":\n" + out);
  }
}

package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs tools on the host ({@code mount}, {@code unshare}) with a minimal environment, so that
 * nothing from Kiln's own environment or a step's (say {@code LD_PRELOAD}) reaches them.
 */
public final class HostCommand {
  /** The only environment host tools get. */
  public static final Map<String, String> HOST_ENV =
      Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");

  private HostCommand() {}

  /** A process builder for {@code argv} in {@code dir} with stderr merged into stdout. */
  public static ProcessBuilder builder(Path dir, List<String> argv) {
    ProcessBuilder builder = new ProcessBuilder(argv).directory(dir.toFile());
    builder.environment().clear();
    builder.environment().putAll(HOST_ENV);
    builder.redirectErrorStream(true);
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return builder;
  }

  /** Runs {@code argv} to completion; a non-zero exit becomes an exception carrying its output. */
  public static void run(Path dir, List<String> argv) throws IOException {
    Process process = builder(dir, argv).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    int code;
    try {
      code = process.waitFor();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", argv), e);
    }
    if (code != 0) {
      throw new IOException(
          String.join(" ", argv) + " failed with exit code " + code + ": " + output);
    }
  }
}

package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts every process Kiln runs on the host ({@code bwrap}, {@code setpriv}), host tools with a
 * minimal environment so that nothing from Kiln's own environment or a step's (say {@code
 * LD_PRELOAD}) reaches them.
 */
public final class HostCommand {
  /** The only environment host tools get. */
  public static final Map<String, String> HOST_ENV =
      Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");

  static final String LAUNCH_MECHANISM = "jdk.lang.Process.launchMechanism";

  static {
    // By default the JDK starts a process by posix_spawn of jspawnhelper, which then execs the
    // command: two execs, each ~5 ms on a small VM, per step. vfork execs the command directly.
    // The JDK reads this property once, when the first process starts, so every process Kiln
    // starts goes through this class; an explicit -D setting still wins.
    if (System.getProperty(LAUNCH_MECHANISM) == null) {
      System.setProperty(LAUNCH_MECHANISM, "VFORK");
    }
  }

  private HostCommand() {}

  /** A plain process builder; use it (not {@code new ProcessBuilder}) so vfork is in effect. */
  public static ProcessBuilder processBuilder(List<String> argv) {
    return new ProcessBuilder(argv);
  }

  /** A process builder for {@code argv} in {@code dir} with stderr merged into stdout. */
  public static ProcessBuilder builder(Path dir, List<String> argv) {
    ProcessBuilder builder = processBuilder(argv).directory(dir.toFile());
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

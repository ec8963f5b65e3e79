package dev.kiln.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A terminal's size in characters, and whether standard error is one. */
record TerminalSize(int columns, int rows) {
  static final TerminalSize DEFAULT = new TerminalSize(80, 24);

  /**
   * The controlling terminal's size ({@code stty size}), or 80×24 when it cannot be told: the Java
   * runtime has no call for it.
   */
  static TerminalSize detect() {
    try {
      Process stty =
          new ProcessBuilder("stty", "size")
              .redirectInput(new File("/dev/tty"))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      if (!stty.waitFor(2, TimeUnit.SECONDS) || stty.exitValue() != 0) {
        return DEFAULT;
      }
      String[] parts = out.trim().split("\\s+");
      int rows = Integer.parseInt(parts[0]);
      int columns = Integer.parseInt(parts[1]);
      return rows > 0 && columns > 0 ? new TerminalSize(columns, rows) : DEFAULT;
    } catch (IOException | RuntimeException e) {
      return DEFAULT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return DEFAULT;
    }
  }

  /** True when standard error is a terminal that can move its cursor (not TERM=dumb). */
  static boolean stderrIsTerminal() {
    if ("dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}

package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshotter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A C test program built static with the host's gcc, so that it runs in any step's root. */
final class StaticProgram {
  private StaticProgram() {}

  /**
   * A layer holding {@code source} compiled as {@code /name}, with {@code mode} (octal, setuid bits
   * included) and owned by root; {@code work} holds the build.
   */
  static Layer layer(Snapshotter snapshotter, Path work, String name, String source, String mode)
      throws Exception {
    Path file = Files.writeString(work.resolve(name + ".c"), source);
    Path binary = work.resolve(name);
    run(List.of("gcc", "-static", "-O1", "-o", binary.toString(), file.toString()));
    ActiveLayer layer = snapshotter.prepare();
    Path placed = layer.upper().resolve(name);
    Files.copy(binary, placed);
    // Java's permission set has no setuid bit.
    run(List.of("chmod", mode, placed.toString()));
    return snapshotter.commit(layer);
  }

  private static void run(List<String> argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String said = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), argv + " did not end");
    assertEquals(0, process.exitValue(), argv + ": " + said);
  }
}

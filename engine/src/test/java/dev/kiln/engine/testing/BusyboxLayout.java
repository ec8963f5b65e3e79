package dev.kiln.engine.testing;

import dev.kiln.engine.snapshot.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The busybox OCI layout that examples/parallel/prepare.sh makes, built once per test JVM into the
 * repository's examples directory (it is reproducible and git-ignored).
 */
public final class BusyboxLayout {
  private static Path layout;

  private BusyboxLayout() {}

  /** The repository root: the nearest parent directory with the {@code kiln} script. */
  public static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("kiln"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "not inside the Kiln repository: " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /** The layout directory, made on first use. */
  public static synchronized Path path() throws IOException, InterruptedException {
    if (layout == null) {
      Path root = repositoryRoot();
      Path script = root.resolve("examples/parallel/prepare.sh");
      Process process =
          HostCommand.processBuilder(List.of("bash", script.toString()))
              .redirectErrorStream(true)
              .start();
      String output = new String(process.getInputStream().readAllBytes());
      if (process.waitFor() != 0) {
        throw new IOException("prepare.sh failed:\n" + output);
      }
      layout = root.resolve("examples/parallel/busybox-layout");
    }
    return layout;
  }

  /** The source identifier of the layout's {@code latest} tag. */
  public static String identifier() throws IOException, InterruptedException {
    return "oci-layout://" + path() + ":latest";
  }
}

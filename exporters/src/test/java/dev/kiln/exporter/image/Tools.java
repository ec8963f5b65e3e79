package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.snapshot.HostCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The real image tools the exports must satisfy (skopeo, umoci), and a tree comparison. */
public final class Tools {
  private Tools() {}

  /** What a command printed (stdout and stderr), failing the test when it exits non-zero. */
  public static String run(String... argv) throws IOException, InterruptedException {
    if (HostCommand.processBuilder(List.of("sh", "-c", "command -v " + argv[0])).start().waitFor()
        != 0) {
      throw new AssertionError(
          argv[0]
              + " is not installed; scripts/install-deps.sh installs it (apt-get install "
              + argv[0]
              + ")");
    }
    Process process =
        HostCommand.processBuilder(List.of(argv))
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(0, process.waitFor(), String.join(" ", argv) + " failed:\n" + output);
    return output;
  }

  public static JsonNode skopeoInspect(String reference) throws Exception {
    return ImageFixture.JSON.readTree(run("skopeo", "inspect", reference));
  }

  /** True when a Docker daemon answers. */
  public static boolean dockerDaemon() {
    try {
      Process p =
          HostCommand.processBuilder(List.of("docker", "info"))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Per path below {@code root}: type, permission bits and content (file hash or link target).
   * Directory sizes and times are left out: they differ between file systems, not between trees.
   */
  public static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> tree = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        if (path.equals(root)) {
          continue;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        String what;
        if (Files.isSymbolicLink(path)) {
          what = "link " + Files.readSymbolicLink(path);
        } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          what = "dir";
        } else {
          what = "file " + sha256(Files.readAllBytes(path));
        }
        tree.put(
            root.relativize(path).toString(), what + " " + Integer.toOctalString(mode & 07777));
      }
    }
    return tree;
  }

  private static String sha256(byte[] bytes) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }
}

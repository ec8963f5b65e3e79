package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Builds real layers for tests: a busybox root filesystem and small layers of text files. */
public final class TestLayers {
  public static final List<String> APPLETS =
      List.of(
          "sh", "echo", "cat", "id", "touch", "rm", "mkdir", "chown", "ls", "sleep", "true",
          "false");

  private TestLayers() {}

  /**
   * A snapshotter under {@code tempDir/kiln}, with the temp dir opened up (JUnit creates it 0700)
   * so that steps running as a non-root user can reach their mount point.
   */
  public static Snapshotter snapshotter(Path tempDir) throws IOException {
    Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Snapshotter snapshotter = new Snapshotter(tempDir.resolve("kiln"));
    snapshotter.recover();
    return snapshotter;
  }

  /** A committed layer with busybox, its applets, {@code /etc}, {@code /work} and a 1777 /tmp. */
  public static Layer busybox(Snapshotter snapshotter) throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Path fs = active.upper();
    Path bin = Files.createDirectories(fs.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String applet : APPLETS) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    Files.createDirectories(fs.resolve("etc"));
    Files.createDirectories(fs.resolve("work"));
    Path tmp = Files.createDirectories(fs.resolve("tmp"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setAttribute(tmp, "unix:mode", 01777);
    return snapshotter.commit(active);
  }

  /** A committed layer holding {@code files} (relative path to text). */
  public static Layer files(Snapshotter snapshotter, Map<String, String> files) throws IOException {
    ActiveLayer active = snapshotter.prepare();
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path target = active.upper().resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
    }
    return snapshotter.commit(active);
  }

  /**
   * Everything about a tree that a step could change: per path its type, mode, owner, size and
   * content hash. Two equal fingerprints mean an unchanged tree.
   */
  public static Map<String, String> fingerprint(Path root) throws IOException {
    Map<String, String> result = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Map<String, Object> a = Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
        String content = "";
        if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
          content = sha256(Files.readAllBytes(path));
        } else if (Files.isSymbolicLink(path)) {
          content = Files.readSymbolicLink(path).toString();
        }
        result.put(
            root.relativize(path).toString(),
            a.get("mode")
                + " "
                + a.get("uid")
                + ":"
                + a.get("gid")
                + " "
                + a.get("size")
                + " "
                + content);
      }
    }
    return result;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

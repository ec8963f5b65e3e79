package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Moves a cache layout a daemon sent (unpacked into a directory beside the destination) into the
 * client's layout: each blob checked against its name's digest and moved in unless there, then
 * {@code oci-layout} and {@code index.json}, each replaced by a rename, the index last.
 */
final class CacheReceipt {
  private CacheReceipt() {}

  static boolean isDigest(String name) {
    return name.matches("[0-9a-f]{64}");
  }

  /** Moves what {@code received} holds into the layout {@code target}; throws if any is wrong. */
  static void moveIn(Path received, Path target) throws IOException {
    Path blobs = Files.createDirectories(target.resolve("blobs").resolve("sha256"));
    Path arrived = received.resolve("blobs").resolve("sha256");
    if (Files.isDirectory(arrived, LinkOption.NOFOLLOW_LINKS)) {
      try (var files = Files.list(arrived)) {
        for (Path blob : files.sorted().toList()) {
          String hex = blob.getFileName().toString();
          if (!isDigest(hex) || !Files.isRegularFile(blob, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the daemon sent a cache entry that is no blob: " + hex);
          }
          if (!hex.equals(dev.kiln.engine.graph.Digest.ofFile(blob).hex())) {
            throw new IOException("cache blob sha256:" + hex + " arrived damaged");
          }
          Path to = blobs.resolve(hex);
          if (!Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(blob, to, StandardCopyOption.ATOMIC_MOVE);
          }
        }
      }
    }
    for (String name : List.of("oci-layout", "index.json")) {
      Path file = received.resolve(name);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("the daemon sent a cache layout without " + name);
      }
      Files.move(
          file,
          target.resolve(name),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
  }
}

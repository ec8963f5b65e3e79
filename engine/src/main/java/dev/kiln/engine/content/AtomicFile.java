package dev.kiln.engine.content;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Replaces a small file (an index, a config) whole: written to a temp file beside it, synced, then
 * renamed over it, so a reader or a crash sees the old content or the new, never a mix.
 */
public final class AtomicFile {
  private AtomicFile() {}

  /**
   * Replaces {@code file} with {@code bytes}; {@code ownerOnly} makes it (and a new dir) 0600/0700.
   */
  public static void write(Path file, byte[] bytes, boolean ownerOnly) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      if (ownerOnly) {
        Files.createDirectories(dir, permissions("rwx------"));
      } else {
        Files.createDirectories(dir);
      }
    }
    Path temp =
        ownerOnly
            ? Files.createTempFile(dir, ".kiln-", ".tmp", permissions("rw-------"))
            : Files.createTempFile(dir, ".kiln-", ".tmp");
    try {
      Files.write(temp, bytes);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static FileAttribute<?> permissions(String mode) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode));
  }
}

package dev.kiln.exporter;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.exporter.image.LayoutSink;
import dev.kiln.exporter.image.TarLayoutSink;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * Writes an export so that a failure leaves nothing at the destination: into a temporary sibling
 * renamed into place when complete (files are not fsynced, as {@code docker save} does not), or
 * straight to a caller's stream ({@code dest=-}).
 */
public final class ArchiveOutput {
  private static final int BUFFER = 1 << 20;

  /** Writes what an export produces. */
  public interface Writer<T> {
    void write(T target) throws IOException;
  }

  private ArchiveOutput() {}

  /** Throws unless {@code dest} can become a file: its directory exists, it is no directory. */
  public static void checkFile(Path dest, String flag) {
    checkParent(dest, flag);
    if (Files.isDirectory(dest)) {
      throw new IllegalArgumentException(flag + ": " + dest + " is a directory; name a file");
    }
  }

  /**
   * Throws unless {@code dest} can become a layout directory: its parent exists, and it is absent,
   * empty, or a layout already (which is replaced).
   */
  public static void checkDirectory(Path dest, String flag) {
    checkParent(dest, flag);
    if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS) && !replaceable(dest)) {
      throw new IllegalArgumentException(
          flag
              + ": "
              + dest
              + " exists and is not an OCI layout; remove it or choose another directory");
    }
  }

  private static void checkParent(Path dest, String flag) {
    Path parent = dest.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IllegalArgumentException(
          flag + ": directory " + parent + " does not exist; create it first");
    }
  }

  private static boolean replaceable(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    if (Files.isRegularFile(dir.resolve("oci-layout"))) {
      return true;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Writes a file or stream destination. A file is written through its channel, so that writers can
   * copy other files into it in the kernel ({@code FileChannel.transferTo}).
   */
  public static void write(Destination dest, Writer<WritableByteChannel> writer)
      throws IOException {
    if (dest instanceof Destination.Stream stream) {
      OutputStream out = new BufferedOutputStream(stream.out(), BUFFER);
      writer.write(Channels.newChannel(out));
      out.flush();
      return;
    }
    if (!(dest instanceof Destination.File file)) {
      throw new IllegalArgumentException("an archive needs a file or a stream, not " + dest);
    }
    Path path = file.path();
    checkFile(path, "dest");
    Path temp = Files.createTempFile(path.getParent(), "." + path.getFileName() + ".kiln-", ".tmp");
    try {
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        writer.write(out);
      }
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
      dev.kiln.engine.fault.CrashPoint.reach(dev.kiln.engine.fault.CrashPoint.EXPORT);
      Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Writes a directory destination, replacing an earlier layout there once the new one is done. */
  /** Writes a tar archive to {@code dest}, its entries laid out by {@code writer}. */
  public static void writeTar(Destination dest, Writer<LayoutSink> writer) throws IOException {
    write(
        dest,
        out -> {
          TarLayoutSink tar = new TarLayoutSink(out);
          writer.write(tar);
          tar.finish();
        });
  }

  public static void writeDirectory(Path dest, Writer<Path> writer) throws IOException {
    checkDirectory(dest, "dest");
    Path parent = dest.getParent();
    String name = "." + dest.getFileName() + ".kiln-";
    Path temp = Files.createTempDirectory(parent, name);
    try {
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
      writer.write(temp);
      if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
        // Two renames: a directory cannot replace a non-empty one in one step.
        Path old = Files.createTempDirectory(parent, name + "old-");
        Files.move(dest, old, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(old);
      } else {
        Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      if (Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
        FileTrees.deleteRecursively(temp);
      }
    }
  }
}

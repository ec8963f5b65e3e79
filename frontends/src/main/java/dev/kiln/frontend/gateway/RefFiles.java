package dev.kiln.frontend.gateway;

import dev.kiln.engine.snapshot.ScopedPath;
import dev.kiln.gateway.client.GatewayMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Answers a frontend's reads of one reference's files, resolved inside its root as if chrooted
 * there: symbolic links are followed, but never out of the root. Sizes are bounded so that every
 * answer fits in a frame.
 */
final class RefFiles {
  /** The most one read-file answer holds: base64 makes it 4/3 as big, under the 16 MiB frame. */
  static final long MAX_READ = 8L * 1024 * 1024;

  /** The most entries one read-dir answer lists. */
  static final int MAX_ENTRIES = 50_000;

  private RefFiles() {}

  static GatewayMessage.FileData read(Path root, GatewayMessage.ReadFile request)
      throws IOException {
    Path file = ScopedPath.resolve(root, request.path(), true);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(request.path());
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(request.path() + " is not a regular file");
    }
    long size = Files.size(file);
    long offset = Math.min(request.offset(), size);
    long length = request.length().orElse(size - offset);
    if (length < 0) {
      throw new IOException("read-file: length must be 0 or more");
    }
    length = Math.min(length, size - offset);
    if (length > MAX_READ) {
      throw new IOException(
          request.path()
              + ": "
              + length
              + " bytes asked; read at most "
              + MAX_READ
              + " bytes at a time (offset, length)");
    }
    byte[] data = new byte[(int) length];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      in.skipNBytes(offset);
      int read = in.readNBytes(data, 0, data.length);
      if (read < data.length) {
        data = java.util.Arrays.copyOf(data, read);
      }
    }
    return new GatewayMessage.FileData(request.id(), data);
  }

  static GatewayMessage.DirEntries list(Path root, GatewayMessage.ReadDir request)
      throws IOException {
    Path dir = ScopedPath.resolve(root, request.path(), true);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(request.path() + " is not a directory");
    }
    List<PathMatcher> include = new ArrayList<>();
    for (String glob : request.include()) {
      include.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
    }
    List<GatewayMessage.Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        Path name = child.getFileName();
        if (!include.isEmpty() && include.stream().noneMatch(m -> m.matches(name))) {
          continue;
        }
        if (entries.size() == MAX_ENTRIES) {
          throw new IOException(
              request.path() + " has more than " + MAX_ENTRIES + " entries; filter with include");
        }
        PosixFileAttributes attrs =
            Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        entries.add(
            new GatewayMessage.Entry(
                name.toString(), kind(attrs), attrs.size(), mode(attrs.permissions())));
      }
    }
    entries.sort(java.util.Comparator.comparing(GatewayMessage.Entry::name));
    return new GatewayMessage.DirEntries(request.id(), entries);
  }

  static GatewayMessage.FileStat stat(Path root, GatewayMessage.Stat request) throws IOException {
    Path path = ScopedPath.resolve(root, request.path(), false);
    PosixFileAttributes attrs =
        Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    return new GatewayMessage.FileStat(
        request.id(),
        kind(attrs),
        attrs.size(),
        mode(attrs.permissions()),
        attrs.isSymbolicLink()
            ? java.util.Optional.of(Files.readSymbolicLink(path).toString())
            : java.util.Optional.empty());
  }

  private static String kind(PosixFileAttributes attrs) {
    if (attrs.isSymbolicLink()) {
      return "symlink";
    } else if (attrs.isDirectory()) {
      return "dir";
    } else if (attrs.isRegularFile()) {
      return "file";
    }
    return "other";
  }

  private static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission permission : permissions) {
      mode |= 1 << (8 - permission.ordinal());
    }
    return mode;
  }
}

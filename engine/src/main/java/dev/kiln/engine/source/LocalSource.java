package dev.kiln.engine.source;

import dev.kiln.engine.fileop.ByteCopy;
import dev.kiln.engine.fileop.FileInfo;
import dev.kiln.engine.fileop.Ids;
import dev.kiln.engine.fileop.LinkSource;
import dev.kiln.engine.fileop.SelectedTree;
import dev.kiln.engine.fileop.Selection;
import dev.kiln.engine.fileop.TreeCopier;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Brings selected files of a host directory into the graph, owned by 0:0 like BuildKit's local
 * source, and checksums exactly that selection for cache keys.
 */
public final class LocalSource {
  private LocalSource() {}

  /** How a checksum gets a regular file's content digest. */
  @FunctionalInterface
  interface ContentDigests {
    byte[] of(SelectedTree.Entry file) throws IOException;
  }

  /** Copies the selected files of {@code dir} into a new committed layer. */
  public static Snapshot copy(
      Path dir, List<String> include, List<String> exclude, Snapshotter snapshotter)
      throws IOException {
    return copy(dir, include, exclude, snapshotter, LinkSource.NONE, ByteCopy.KERNEL);
  }

  /**
   * Copies the selected files of {@code dir} into a new layer, linking what {@code links} says and
   * writing the rest with {@code bytes}.
   */
  static Snapshot copy(
      Path dir,
      List<String> include,
      List<String> exclude,
      Snapshotter snapshotter,
      LinkSource links,
      ByteCopy bytes)
      throws IOException {
    requireDirectory(dir);
    ActiveLayer active = snapshotter.prepare();
    try {
      TreeCopier.Options options =
          new TreeCopier.Options(
                  Selection.of(include, exclude), Optional.of(Ids.ROOT), Optional.empty())
              .withLinks(links)
              .withBytes(bytes);
      TreeCopier.copyContents(dir, active.upper(), active.upper(), options);
      Layer layer = snapshotter.commit(active);
      return Snapshot.SCRATCH.plus(layer);
    } catch (IOException | RuntimeException e) {
      snapshotter.discard(active);
      throw e;
    }
  }

  /**
   * A {@code sha256:} digest over the sorted relative paths, types, modes, link targets and
   * contents of the selected files; files outside the selection do not affect it. Owners and mtimes
   * are left out because the copy does not keep owners and touching a file must not bust the cache.
   */
  public static String checksum(Path dir, List<String> include, List<String> exclude)
      throws IOException {
    return checksum(dir, include, exclude, file -> contentDigest(file.path()));
  }

  static String checksum(
      Path dir, List<String> include, List<String> exclude, ContentDigests digests)
      throws IOException {
    requireDirectory(dir);
    MessageDigest sha = Digest.newSha256();
    for (SelectedTree.Entry entry : SelectedTree.walk(dir, Selection.of(include, exclude))) {
      FileInfo info = entry.info();
      String header =
          entry.relative() + "\0" + info.kind() + "\0" + Integer.toOctalString(info.mode()) + "\0";
      sha.update(header.getBytes(StandardCharsets.UTF_8));
      if (info.kind() == FileInfo.Kind.SYMLINK) {
        sha.update(
            Files.readSymbolicLink(entry.path()).toString().getBytes(StandardCharsets.UTF_8));
      } else if (info.kind() == FileInfo.Kind.REGULAR) {
        sha.update(digests.of(entry));
      }
      sha.update((byte) '\n');
    }
    return Digest.fromHex(HexFormat.of().formatHex(sha.digest())).toString();
  }

  /**
   * Copies {@code src}'s bytes to the new file {@code dest} (never following a link there) and
   * returns their digest: the one read that a first copy of a context makes. {@code buffer} is the
   * caller's, reused from file to file.
   */
  static byte[] copyWithDigest(Path src, Path dest, byte[] buffer) throws IOException {
    MessageDigest sha = Digest.newSha256();
    try (InputStream in = Files.newInputStream(src);
        OutputStream out =
            Files.newOutputStream(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
    }
    return sha.digest();
  }

  static byte[] contentDigest(Path file) throws IOException {
    MessageDigest sha = Digest.newSha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
    }
    return sha.digest();
  }

  private static void requireDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("local source " + dir + ": not a directory");
    }
  }
}

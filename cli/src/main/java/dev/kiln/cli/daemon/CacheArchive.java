package dev.kiln.cli.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A cache layout ({@code --cache-to type=local}) as the tar archive a daemon sends its client:
 * {@code oci-layout}, {@code index.json} and the blobs the client does not have yet, so that a
 * client that exports to the same directory again receives only what is new, as BuildKit's exporter
 * writes only missing content into the client's store.
 */
final class CacheArchive {
  private CacheArchive() {}

  /** Archives {@code layout} into {@code archive}, leaving out the blobs named in {@code have}. */
  static void write(Path layout, Set<String> have, Path archive) throws IOException {
    try (OutputStream out = Files.newOutputStream(archive);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (String name : List.of("oci-layout", "index.json")) {
        add(tar, layout.resolve(name), name);
      }
      Path blobs = layout.resolve("blobs/sha256");
      if (Files.isDirectory(blobs, LinkOption.NOFOLLOW_LINKS)) {
        try (var files = Files.list(blobs)) {
          for (Path blob : files.sorted().toList()) {
            String hex = blob.getFileName().toString();
            if (!have.contains(hex)) {
              add(tar, blob, "blobs/sha256/" + hex);
            }
          }
        }
      }
      tar.finish();
    }
  }

  private static void add(TarArchiveOutputStream tar, Path file, String name) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("the cache layout has no file " + name);
    }
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(0644);
    entry.setSize(Files.size(file));
    tar.putArchiveEntry(entry);
    Files.copy(file, tar);
    tar.closeArchiveEntry();
  }
}

package dev.kiln.exporter.local;

import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.TreeWalker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes the result's files into a host directory (created if missing; existing files with the same
 * names are replaced), keeping modes, times, links and, when run as root, owners.
 */
public final class LocalExporter implements Exporter {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  private final Path dest;

  public LocalExporter(Path dest) {
    this.dest = dest.toAbsolutePath().normalize();
  }

  @Override
  public void export(Snapshot result, Snapshotter snapshotter) throws IOException {
    Files.createDirectories(dest);
    try (MountedFs view = snapshotter.mount(result, Optional.empty())) {
      Path root = view.path();
      List<Path[]> dirTimes = new ArrayList<>();
      for (Path relative : TreeWalker.walk(root)) {
        Path source = root.resolve(relative);
        Path target = dest.resolve(relative.toString());
        if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
          if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(target);
            Files.createDirectory(target);
          }
          dirTimes.add(new Path[] {source, target});
        } else {
          Files.copy(
              source,
              target,
              LinkOption.NOFOLLOW_LINKS,
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.COPY_ATTRIBUTES);
        }
        copyOwnerAndMode(source, target);
      }
      // Directory times last: writing their children changed them.
      for (int i = dirTimes.size() - 1; i >= 0; i--) {
        FileTime time = Files.getLastModifiedTime(dirTimes.get(i)[0], LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(dirTimes.get(i)[1], time);
      }
    }
  }

  private static void copyOwnerAndMode(Path source, Path target) throws IOException {
    if (ROOT) {
      for (String owner : List.of("unix:uid", "unix:gid")) {
        Object id = Files.getAttribute(source, owner, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(target, owner, id, LinkOption.NOFOLLOW_LINKS);
      }
    }
    if (!Files.isSymbolicLink(source)) {
      // unix:mode keeps setuid, setgid and sticky bits, which POSIX permissions drop.
      Object mode = Files.getAttribute(source, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }
  }

  @Override
  public String describe() {
    return "directory " + dest;
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.SnapshotFiles;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Creates the {@code /proc} and {@code /dev} mount points bwrap needs and removes them from the
 * upper dir afterwards, so that a layer holds only what the step wrote.
 */
final class MountPointDirs {
  private static final List<String> CREATED = List.of("proc", "dev");

  private MountPointDirs() {}

  /**
   * Creates the mount points missing in the merged root, as root: bwrap running as a non-root user
   * could not create them in a root-owned {@code /}.
   */
  static void create(Path merged) throws IOException {
    for (String name : CREATED) {
      Path dir = merged.resolve(name);
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(dir);
      }
    }
  }

  static void removeCreated(Snapshot rootfs, Path upperDir) throws IOException {
    for (String name : CREATED) {
      Path dir = upperDir.resolve(name);
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          && SnapshotFiles.find(rootfs, name).isEmpty()) {
        try {
          Files.delete(dir);
        } catch (DirectoryNotEmptyException e) {
          // The step wrote into it (say a file below /dev); that is part of its result.
        }
      }
    }
  }
}

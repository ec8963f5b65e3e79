package dev.kiln.engine.snapshot;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Where a root's mount points live. bwrap opens a step's root filesystem as the step's user, so
 * every directory on the way to it must be searchable by all; ROOT/mounts is used when it is, a
 * per-root directory in the system temporary directory (0711: searchable, not listable) if not.
 */
final class MountsDir {
  private MountsDir() {}

  static Path forRoot(Path root) throws IOException {
    Path absolute = root.toAbsolutePath().normalize();
    Files.createDirectories(absolute);
    if (searchableByAll(absolute)) {
      return absolute.resolve("mounts");
    }
    String hash = Digest.sha256(absolute.toString()).shortForm();
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "kiln-mounts-" + hash);
    Files.createDirectories(dir);
    Files.setAttribute(dir, "unix:mode", 0711);
    return dir;
  }

  private static boolean searchableByAll(Path dir) throws IOException {
    for (Path p = dir; p != null; p = p.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
      if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        return false;
      }
    }
    return true;
  }
}

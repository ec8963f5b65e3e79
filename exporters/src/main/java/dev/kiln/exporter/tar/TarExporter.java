package dev.kiln.exporter.tar;

import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.TreeWalker;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes the result's files as one tar archive, in name order with the files' own metadata, to a
 * temporary file renamed into place, so a failed export never leaves half an archive.
 */
public final class TarExporter implements Exporter {
  private final Path dest;

  public TarExporter(Path dest) {
    this.dest = dest.toAbsolutePath().normalize();
  }

  @Override
  public void export(Snapshot result, Snapshotter snapshotter) throws IOException {
    Files.createDirectories(dest.getParent());
    Path temp = Files.createTempFile(dest.getParent(), ".kiln-", ".tar.tmp");
    try (MountedFs view = snapshotter.mount(result, Optional.empty());
        OutputStream out = Files.newOutputStream(temp);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Path relative : TreeWalker.walk(view.path())) {
        write(tar, view.path().resolve(relative), relative.toString());
      }
      tar.finish();
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void write(TarArchiveOutputStream tar, Path file, String name) throws IOException {
    Map<String, Object> attrs = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) attrs.get("mode");
    TarArchiveEntry entry;
    boolean regular = false;
    if (Files.isSymbolicLink(file)) {
      entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
      entry.setLinkName(Files.readSymbolicLink(file).toString());
    } else if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
      entry = new TarArchiveEntry(name + "/");
    } else if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      entry = new TarArchiveEntry(name);
      entry.setSize((Long) attrs.get("size"));
      regular = true;
    } else {
      // Sockets, fifos and devices do not travel in build outputs.
      return;
    }
    entry.setMode(mode & 07777);
    entry.setUserId(((Integer) attrs.get("uid")).longValue());
    entry.setGroupId(((Integer) attrs.get("gid")).longValue());
    entry.setModTime(((java.nio.file.attribute.FileTime) attrs.get("lastModifiedTime")).toMillis());
    tar.putArchiveEntry(entry);
    // Not entry.isFile(): it is true for a symlink entry too, and copying would follow the link.
    if (regular) {
      Files.copy(file, tar);
    }
    tar.closeArchiveEntry();
  }

  @Override
  public String describe() {
    return "tarball " + dest;
  }
}

package dev.kiln.engine.layer;

import dev.kiln.engine.fileop.PosixMetadata;
import dev.kiln.engine.snapshot.OverlayFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Applies an OCI layer tar to an empty layer directory in overlayfs format, refusing entries that
 * would write outside it.
 */
public final class LayerUnpacker {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE_MARKER = ".wh..wh..opq";

  private final LayerTree tree;
  private final Map<Path, DirMeta> directories = new LinkedHashMap<>();
  private final List<Path> whiteouts = new ArrayList<>();

  /** Metadata applied to directories after their contents, since writing a child changes mtime. */
  private record DirMeta(int mode, FileTime mtime) {}

  private LayerUnpacker(Path layerDir) {
    this.tree = new LayerTree(layerDir);
  }

  /** Unpacks the uncompressed tar {@code tar} into {@code layerDir}. */
  public static void unpack(InputStream tar, Path layerDir) throws IOException {
    new LayerUnpacker(layerDir).run(tar);
  }

  private void run(InputStream tar) throws IOException {
    TarArchiveInputStream in = new TarArchiveInputStream(tar);
    for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
      apply(entry, in);
    }
    OverlayFormat.createWhiteouts(whiteouts);
    List<Path> dirs = new ArrayList<>(directories.keySet());
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path dir : dirs) {
      DirMeta meta = directories.get(dir);
      PosixMetadata.chmod(dir, meta.mode());
      PosixMetadata.setMtime(dir, meta.mtime());
    }
  }

  private void apply(TarArchiveEntry entry, InputStream content) throws IOException {
    String name = entry.getName();
    EntryPath path = EntryPath.parse(name, "entry");
    if (path.isRoot()) {
      if (entry.isDirectory()) {
        setOwner(tree.root(), entry);
        directories.put(tree.root(), new DirMeta(entry.getMode(), entry.getLastModifiedTime()));
      }
      return;
    }
    Path target = tree.prepareParents(path, name);
    String base = path.baseName();
    if (base.equals(OPAQUE_MARKER)) {
      OverlayFormat.markOpaque(target.getParent());
    } else if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) {
      return; // aufs bookkeeping (.wh..wh.plnk and the like) has no overlayfs meaning
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      Path hidden = target.resolveSibling(base.substring(WHITEOUT_PREFIX.length()));
      tree.clearFor(hidden, false);
      whiteouts.add(hidden);
    } else if (entry.isDirectory()) {
      tree.clearFor(target, true);
      if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(target);
      }
      setOwner(target, entry);
      directories.put(target, new DirMeta(entry.getMode(), entry.getLastModifiedTime()));
    } else if (entry.isSymbolicLink()) {
      tree.clearFor(target, false);
      Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
      setOwner(target, entry);
      PosixMetadata.setMtime(target, entry.getLastModifiedTime());
    } else if (entry.isLink()) {
      hardlink(entry, target);
    } else if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
      // Skipped: a build layer has no use for device nodes, and creating them would need
      // privileges we do not want to exercise on behalf of an image.
      return;
    } else if (entry.isFile()) {
      tree.clearFor(target, false);
      writeFile(target, content);
      setOwner(target, entry);
      PosixMetadata.chmod(target, entry.getMode());
      PosixMetadata.setMtime(target, entry.getLastModifiedTime());
    }
  }

  private void hardlink(TarArchiveEntry entry, Path target) throws IOException {
    String name = entry.getName();
    EntryPath linked = EntryPath.parse(entry.getLinkName(), "hardlink target of \"" + name + "\"");
    if (linked.isRoot()) {
      throw new IOException("entry \"" + name + "\": hardlink to the layer root");
    }
    Path source = tree.prepareParents(linked, name);
    Optional<BasicFileAttributes> attrs = LayerTree.lstat(source);
    if (attrs.isEmpty() || attrs.get().isDirectory()) {
      throw new IOException(
          "entry \""
              + name
              + "\": hardlink target \""
              + entry.getLinkName()
              + "\" is not a file earlier in the layer");
    }
    tree.clearFor(target, false);
    Files.createLink(target, source);
  }

  private static void writeFile(Path target, InputStream content) throws IOException {
    // CREATE_NEW is O_EXCL: it never follows a symlink at the final component.
    try (OutputStream out =
        Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      content.transferTo(out);
    }
  }

  private static void setOwner(Path target, TarArchiveEntry entry) throws IOException {
    int uid = (int) entry.getLongUserId();
    int gid = (int) entry.getLongGroupId();
    // What we create is already ours; most image files are root's, so this skips most chowns.
    if (uid != OWN_UID || gid != OWN_GID) {
      PosixMetadata.chown(target, uid, gid);
    }
  }

  private static final int OWN_UID = ownId("uid");
  private static final int OWN_GID = ownId("gid");

  private static int ownId(String which) {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:" + which);
    } catch (IOException | UnsupportedOperationException e) {
      return -1; // unknown: always chown
    }
  }
}

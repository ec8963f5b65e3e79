package dev.kiln.engine.layer;

import static dev.kiln.engine.layer.EntryPath.describe;

import dev.kiln.engine.layer.LayerXattrs.Xattr;
import dev.kiln.engine.snapshot.Libc;
import dev.kiln.engine.snapshot.OverlayFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an OCI layer tar to an empty layer directory in overlayfs format ({@code .wh.NAME} → 0:0
 * character device, {@code .wh..wh..opq} → {@code user.overlay.opaque}), refusing any entry that
 * would touch something outside it.
 *
 * <ul>
 *   <li>Names are relative and never climb ({@code ..} and absolute names are refused, not
 *       cleaned); parents are real directories of this layer, never symlinks ({@link LayerTree});
 *       an entry replaces what is at its path, never writes through it. Symlinks are created with
 *       any target: they are data, and nothing here follows them.
 *   <li>A hard link must name a file written earlier in this same tar. A link to a file of a lower
 *       layer cannot be represented in one upper directory (containerd applies layers through an
 *       overlay mount, where such a link copies the file up); Docker, BuildKit and containerd never
 *       write such layers, so they are refused.
 *   <li>Character and block devices are created only with CAP_MKNOD ({@link DeviceNodes}), else
 *       skipped with one warning; FIFOs and whiteouts are always made.
 *   <li>Extended attributes: only {@code user.*} (not {@code user.overlay.*}) and {@code
 *       security.capability} ({@link LayerXattrs}); others are dropped with a warning.
 *   <li>Headers are read with bounded memory and corrupt or truncated tars are refused ({@link
 *       TarReader}).
 * </ul>
 *
 * Duplicate entries: the last one wins, as with tar. On failure the caller discards the layer
 * directory; nothing outside it has been touched.
 */
public final class LayerUnpacker {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE_MARKER = ".wh..wh..opq";

  private static final Logger LOG = LoggerFactory.getLogger(LayerUnpacker.class);

  private final LayerTree tree;
  private DeviceNodes devices;
  private final Map<String, Warning> warnings = new LinkedHashMap<>();

  /** The first occurrence of one kind of warning, and how many more there were. */
  private static final class Warning {
    final String first;
    int more;

    Warning(String first) {
      this.first = first;
    }
  }

  private LayerUnpacker(Path layerDir, DeviceNodes devices) {
    this.tree = new LayerTree(layerDir);
    this.devices = devices;
  }

  /** Unpacks the uncompressed tar {@code tar} into {@code layerDir}; leaves the stream open. */
  public static void unpack(InputStream tar, Path layerDir) throws IOException {
    for (String warning : unpack(tar, layerDir, DeviceNodes.forThisProcess())) {
      LOG.warn("layer {}: {}", layerDir, warning);
    }
  }

  /** Unpacks with the given device policy; returns the warnings, one per kind. */
  static List<String> unpack(InputStream tar, Path layerDir, DeviceNodes devices)
      throws IOException {
    LayerUnpacker unpacker = new LayerUnpacker(layerDir, devices);
    TarReader reader = new TarReader(tar);
    for (TarArchiveEntry entry = reader.next(); entry != null; entry = reader.next()) {
      unpacker.applyEntry(entry, reader.content());
      dev.kiln.engine.fault.CrashPoint.reach(dev.kiln.engine.fault.CrashPoint.LAYER_UNPACK);
    }
    unpacker.tree.applyDeferredMetadata();
    return unpacker.warnings();
  }

  private List<String> warnings() {
    List<String> lines = new ArrayList<>();
    for (Warning warning : warnings.values()) {
      lines.add(warning.first + (warning.more > 0 ? " (and " + warning.more + " more)" : ""));
    }
    return lines;
  }

  private void warn(String kind, String message) {
    Warning existing = warnings.putIfAbsent(kind, new Warning(message));
    if (existing != null) {
      existing.more++;
    }
  }

  private void applyEntry(TarArchiveEntry entry, InputStream content) throws IOException {
    try {
      apply(entry, content);
    } catch (RefusedEntryException | TarReader.MalformedTarException e) {
      throw e;
    } catch (IOException | InvalidPathException e) {
      throw new IOException(describe(entry.getName()) + ": " + e.getMessage(), e);
    }
  }

  /** What an entry makes, from its type flag (a regular entry named "d/" is an old-style dir). */
  private enum Kind {
    DIRECTORY,
    FILE,
    SYMLINK,
    HARDLINK,
    NODE,
    UNSUPPORTED;

    static Kind of(TarArchiveEntry entry) {
      if (entry.isSymbolicLink()) {
        return SYMLINK;
      }
      if (entry.isLink()) {
        return HARDLINK;
      }
      if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
        return NODE;
      }
      byte type = entry.getLinkFlag();
      if (type == TarConstants.LF_DIR) {
        return DIRECTORY;
      }
      if (type == TarConstants.LF_NORMAL
          || type == TarConstants.LF_OLDNORM
          || type == TarConstants.LF_CONTIG
          || entry.isSparse()) {
        return entry.getName().endsWith("/") ? DIRECTORY : FILE;
      }
      return UNSUPPORTED;
    }
  }

  private void apply(TarArchiveEntry entry, InputStream content) throws IOException {
    String name = entry.getName();
    EntryPath path = EntryPath.parse(name, describe(name));
    Kind kind = Kind.of(entry);
    if (kind == Kind.UNSUPPORTED) {
      throw new RefusedEntryException(
          describe(name) + " has the unsupported tar type '" + (char) entry.getLinkFlag() + "'");
    }
    if (path.isRoot()) {
      if (kind != Kind.DIRECTORY) {
        throw new RefusedEntryException(
            describe(name) + " names the layer root but is not a directory");
      }
      directory(entry, tree.root());
      return;
    }
    if (isAufsMetadata(path)) {
      return; // aufs bookkeeping (.wh..wh.plnk/ and the like) has no overlayfs meaning
    }
    Path target = tree.prepareParents(path, describe(name));
    String base = path.baseName();
    if (base.equals(OPAQUE_MARKER)) {
      OverlayFormat.markOpaque(target.getParent());
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      String hidden = base.substring(WHITEOUT_PREFIX.length());
      if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
        throw new RefusedEntryException(
            describe(name) + " whites out \"" + hidden + "\", which is no file of the layer");
      }
      whiteout(target.resolveSibling(hidden));
    } else {
      switch (kind) {
        case DIRECTORY -> directory(entry, target);
        case SYMLINK -> symlink(entry, target);
        case HARDLINK -> hardlink(entry, target);
        case NODE -> node(entry, target);
        default -> regularFile(entry, target, content);
      }
    }
  }

  private static boolean isAufsMetadata(EntryPath path) {
    for (String part : path.components()) {
      if (part.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX) && !part.equals(OPAQUE_MARKER)) {
        return true;
      }
    }
    return false;
  }

  private void whiteout(Path hidden) throws IOException {
    tree.clearFor(hidden, false);
    Libc.mknodWhiteout(hidden);
    tree.madeWhiteout(hidden);
  }

  private void directory(TarArchiveEntry entry, Path target) throws IOException {
    if (!target.equals(tree.root())) {
      boolean replacedWhiteout = tree.clearFor(target, true);
      if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(target);
      }
      if (replacedWhiteout) {
        // The layer deleted the lower directory and made a new one: overlayfs's own opaque dir.
        OverlayFormat.markOpaque(target);
      }
      tree.madeDirectory(target);
    }
    setOwner(target, entry);
    applyXattrs(entry, target);
    tree.deferMetadata(target, new LayerTree.DirMeta(entry.getMode(), entry.getLastModifiedTime()));
  }

  private void symlink(TarArchiveEntry entry, Path target) throws IOException {
    if (entry.getLinkName().isEmpty()) {
      throw new RefusedEntryException(describe(entry.getName()) + " is a symlink to nothing");
    }
    tree.clearFor(target, false);
    Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
    setOwner(target, entry);
    EntryMetadata.setMtime(target, entry.getLastModifiedTime());
  }

  private void hardlink(TarArchiveEntry entry, Path target) throws IOException {
    String name = entry.getName();
    String subject = "hard link target \"" + entry.getLinkName() + "\" of " + describe(name);
    EntryPath linked = EntryPath.parse(entry.getLinkName(), subject);
    if (linked.isRoot()) {
      throw new RefusedEntryException(subject + " is the layer root");
    }
    Path source =
        tree.existing(linked, subject)
            .orElseThrow(
                () ->
                    new RefusedEntryException(
                        subject
                            + " is not in this layer: a layer can only hard-link files it"
                            + " contains itself, written before the link"));
    if (source.equals(target)) {
      return; // a link to itself changes nothing
    }
    tree.clearFor(target, false);
    Files.createLink(target, source);
  }

  private void node(TarArchiveEntry entry, Path target) throws IOException {
    int type =
        entry.isFIFO()
            ? NodeCalls.S_IFIFO
            : entry.isBlockDevice() ? NodeCalls.S_IFBLK : NodeCalls.S_IFCHR;
    if (type == NodeCalls.S_IFCHR && entry.getDevMajor() == 0 && entry.getDevMinor() == 0) {
      whiteout(target); // the overlayfs form of a whiteout, written as such by some tools
      return;
    }
    if (type != NodeCalls.S_IFIFO && devices == DeviceNodes.SKIP) {
      skipDevice(entry, "creating device nodes needs CAP_MKNOD, which this process lacks");
      return;
    }
    tree.clearFor(target, false);
    try {
      NodeCalls.mknod(target, type, entry.getMode(), entry.getDevMajor(), entry.getDevMinor());
    } catch (NodeCalls.CallFailed e) {
      if (type == NodeCalls.S_IFIFO || e.errno != NodeCalls.EPERM) {
        throw e;
      }
      devices = DeviceNodes.SKIP; // CAP_MKNOD in a user namespace does not allow devices
      skipDevice(entry, e.getMessage());
      return;
    }
    setOwner(target, entry);
    EntryMetadata.chmod(target, entry.getMode() & 0777); // no setuid/setgid/sticky on nodes
    EntryMetadata.setMtime(target, entry.getLastModifiedTime());
  }

  private void skipDevice(TarArchiveEntry entry, String why) {
    warn("devices", "skipped the device node " + describe(entry.getName()) + ": " + why);
  }

  private void regularFile(TarArchiveEntry entry, Path target, InputStream content)
      throws IOException {
    tree.clearFor(target, false);
    // CREATE_NEW is O_EXCL: it never follows a symlink at the final component.
    try (OutputStream out =
        Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      content.transferTo(out);
    }
    setOwner(target, entry);
    EntryMetadata.chmod(target, entry.getMode());
    applyXattrs(entry, target); // after chown, which clears security.capability
    EntryMetadata.setMtime(target, entry.getLastModifiedTime());
  }

  private void applyXattrs(TarArchiveEntry entry, Path target) throws IOException {
    for (Xattr xattr : LayerXattrs.of(entry)) {
      String about =
          "the extended attribute \"" + xattr.name() + "\" of " + describe(entry.getName());
      if (!LayerXattrs.allowed(xattr.name())) {
        warn(
            "xattr-denied",
            "dropped "
                + about
                + ": layers may set only user.* (not user.overlay.*) and security.capability");
      } else if (xattr.value().isEmpty()) {
        warn(
            "xattr-binary",
            "dropped "
                + about
                + ": its value is binary, which Commons Compress cannot read exactly");
      } else {
        try {
          NodeCalls.lsetxattr(target, xattr.name(), xattr.value().get());
        } catch (NodeCalls.CallFailed e) {
          if (!e.refusedByKernel()) {
            throw e;
          }
          warn("xattr-failed", "could not set " + about + ": " + e.getMessage());
        }
      }
    }
  }

  private static void setOwner(Path target, TarArchiveEntry entry) throws IOException {
    int uid = (int) entry.getLongUserId();
    int gid = (int) entry.getLongGroupId();
    // What we create is already ours; most image files are root's, so this skips most chowns.
    if (uid != OWN_UID || gid != OWN_GID) {
      EntryMetadata.chown(target, uid, gid);
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

package dev.kiln.engine.layer;

import dev.kiln.engine.snapshot.OverlayFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes an overlayfs upper directory as an uncompressed OCI layer tar: whiteouts become {@code
 * .wh.NAME} files, opaque directories get a {@code .wh..wh..opq} entry. Entries come in a fixed
 * order (depth first, names sorted) so that equal trees give equal bytes. Entries carry numeric
 * owners only (no user or group names: those of the host would misname the files' owners).
 */
public final class LayerDiffWriter {
  private static final String WHITEOUT_PREFIX = ".wh.";
  private static final String OPAQUE_MARKER = ".wh..wh..opq";
  private static final int TYPE_MASK = 0170000;
  private static final int CHAR_DEVICE = 0020000;
  private static final int BLOCK_DEVICE = 0060000;
  private static final int FIFO = 0010000;
  private static final int SOCKET = 0140000;

  private final Path root;
  private final TarArchiveOutputStream tar;
  private final Times times;
  // (device, inode) of regular files with several links, mapped to the first name written.
  private final Map<String, String> linkTargets = new HashMap<>();

  /**
   * How entry times are written. {@link #EXACT} keeps the files' times to the nanosecond (in PAX
   * headers when they have a fraction); {@link #wholeSeconds} writes them as Go's tar writer (and
   * so BuildKit) does, in plain headers, none later than {@code clampTo} when given: with {@code
   * SOURCE_DATE_EPOCH}, files a build touched get the epoch and equal inputs give equal layers.
   */
  public record Times(boolean wholeSeconds, Optional<Instant> clampTo) {
    public static final Times EXACT = new Times(false, Optional.empty());

    public static Times wholeSeconds(Optional<Instant> clampTo) {
      return new Times(true, clampTo);
    }

    FileTime apply(FileTime time) {
      Instant instant = time.toInstant();
      if (clampTo.isPresent() && instant.isAfter(clampTo.get())) {
        instant = clampTo.get();
      }
      return wholeSeconds ? FileTime.from(instant.getEpochSecond(), TimeUnit.SECONDS) : time;
    }
  }

  private LayerDiffWriter(Path root, TarArchiveOutputStream tar, Times times) {
    this.root = root;
    this.tar = tar;
    this.times = times;
  }

  /** Writes the tar of {@code upperDir} to {@code out}, which is left open. */
  public static void write(Path upperDir, OutputStream out) throws IOException {
    write(upperDir, out, Times.EXACT);
  }

  /** Writes the tar of {@code upperDir} to {@code out}, which is left open, with these times. */
  public static void write(Path upperDir, OutputStream out, Times times) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    new LayerDiffWriter(upperDir, tar, times).writeChildren(upperDir);
    // finish() without close(): the caller owns out (it may be a digesting or compressing stream).
    tar.finish();
    tar.flush();
  }

  // Children are ordered by the name they get in the tar, so whiteouts and the opaque marker
  // sort like any other entry.
  private void writeChildren(Path dir) throws IOException {
    TreeMap<String, Optional<Path>> children = new TreeMap<>();
    if (!dir.equals(root) && OverlayFormat.isOpaque(dir)) {
      children.put(OPAQUE_MARKER, Optional.empty());
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path child : (Iterable<Path>) entries::iterator) {
        String name = child.getFileName().toString();
        children.put(
            OverlayFormat.isWhiteout(child) ? WHITEOUT_PREFIX + name : name, Optional.of(child));
      }
    }
    for (Map.Entry<String, Optional<Path>> child : children.entrySet()) {
      if (child.getValue().isPresent()) {
        writeEntry(child.getValue().get());
      } else {
        Map<String, Object> attrs = Files.readAttributes(dir, "unix:*", LinkOption.NOFOLLOW_LINKS);
        put(regular(root.relativize(dir) + "/" + OPAQUE_MARKER, attrs, 0));
      }
    }
  }

  private void writeEntry(Path file) throws IOException {
    String name = root.relativize(file).toString();
    Map<String, Object> attrs = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) attrs.get("mode");
    int type = mode & TYPE_MASK;
    if (type == SOCKET) {
      return; // Sockets cannot be archived; a live socket is never part of a build result.
    }
    if (OverlayFormat.isWhiteout(file)) {
      put(regular(sibling(file, WHITEOUT_PREFIX + file.getFileName()), attrs, 0));
      return;
    }
    if (Files.isSymbolicLink(file)) {
      TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
      entry.setLinkName(Files.readSymbolicLink(file).toString());
      put(withOwner(entry, attrs));
    } else if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
      put(withOwner(new TarArchiveEntry(name + "/", TarConstants.LF_DIR), attrs));
      writeChildren(file);
    } else if (type == CHAR_DEVICE || type == BLOCK_DEVICE || type == FIFO) {
      byte flag =
          type == CHAR_DEVICE
              ? TarConstants.LF_CHR
              : type == BLOCK_DEVICE ? TarConstants.LF_BLK : TarConstants.LF_FIFO;
      TarArchiveEntry entry = withOwner(new TarArchiveEntry(name, flag), attrs);
      long rdev = (Long) attrs.get("rdev");
      entry.setDevMajor((int) ((rdev >>> 8) & 0xfff));
      entry.setDevMinor((int) ((rdev & 0xff) | ((rdev >>> 12) & 0xfff00)));
      put(entry);
    } else {
      writeRegular(file, name, attrs);
    }
  }

  private void writeRegular(Path file, String name, Map<String, Object> attrs) throws IOException {
    if ((Integer) attrs.get("nlink") > 1) {
      String key = attrs.get("dev") + ":" + attrs.get("ino");
      String first = linkTargets.putIfAbsent(key, name);
      if (first != null) {
        TarArchiveEntry link = withOwner(new TarArchiveEntry(name, TarConstants.LF_LINK), attrs);
        link.setLinkName(first);
        put(link);
        return;
      }
    }
    long size = (Long) attrs.get("size");
    putFile(regular(name, attrs, size), file, size);
  }

  private TarArchiveEntry regular(String name, Map<String, Object> attrs, long size) {
    TarArchiveEntry entry = withOwner(new TarArchiveEntry(name, TarConstants.LF_NORMAL), attrs);
    entry.setSize(size);
    return entry;
  }

  private TarArchiveEntry withOwner(TarArchiveEntry entry, Map<String, Object> attrs) {
    entry.setUserId(((Number) attrs.get("uid")).longValue());
    entry.setGroupId(((Number) attrs.get("gid")).longValue());
    // The entry starts with the JVM user's name, which extractors would map to their own uid.
    entry.setUserName("");
    entry.setGroupName("");
    entry.setMode((Integer) attrs.get("mode") & 07777);
    entry.setModTime(times.apply((FileTime) attrs.get("lastModifiedTime")));
    return entry;
  }

  private void put(TarArchiveEntry entry) throws IOException {
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private void putFile(TarArchiveEntry entry, Path content, long size) throws IOException {
    tar.putArchiveEntry(entry);
    try (InputStream in = Files.newInputStream(content, LinkOption.NOFOLLOW_LINKS)) {
      // Copy exactly the size in the header: a file still growing must not corrupt the archive.
      byte[] buffer = new byte[64 * 1024];
      long left = size;
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException(content + " shrank while being archived");
        }
        tar.write(buffer, 0, n);
        left -= n;
      }
    }
    tar.closeArchiveEntry();
  }

  private String sibling(Path file, String name) {
    Path parent = root.relativize(file).getParent();
    return parent == null ? name : parent + "/" + name;
  }
}

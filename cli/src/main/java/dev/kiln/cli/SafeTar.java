package dev.kiln.cli;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks a tar stream that comes from the other side of a connection (a client's upload, a
 * daemon's output) into an empty directory, refusing what could write elsewhere: a name that leaves
 * the directory once normalised, an absolute name, an entry below a symlink the archive made, a
 * name twice, anything but files, directories and symlinks; and beyond a size or an entry count. A
 * file whose entry carries a digest ({@code KILN.sha256}) must arrive with it.
 */
public final class SafeTar {
  /** What is wrong with the archive. */
  public static class Refused extends IOException {
    public Refused(String message) {
      super(message);
    }
  }

  /** An archive beyond the size limit. */
  public static final class TooLarge extends Refused {
    public TooLarge(long maxBytes) {
      super("the upload is larger than " + maxBytes + " bytes");
    }
  }

  /** Takes the entries that are not files to unpack (an upload's secrets); true if it took it. */
  @FunctionalInterface
  public interface Special {
    boolean take(TarArchiveInputStream in, TarArchiveEntry entry) throws IOException;
  }

  private SafeTar() {}

  /** Unpacks every entry of {@code tar}. */
  public static void unpack(InputStream tar, Path dir, long maxBytes, int maxEntries)
      throws IOException {
    unpack(tar, dir, maxBytes, maxEntries, (in, entry) -> false);
  }

  /** Unpacks the entries of {@code tar} that {@code special} does not take. */
  public static void unpack(
      InputStream tar, Path dir, long maxBytes, int maxEntries, Special special)
      throws IOException {
    long bytes = 0;
    int entries = 0;
    TarArchiveInputStream in = new TarArchiveInputStream(tar);
    for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
      if (++entries > maxEntries) {
        throw new Refused("the archive has more than " + maxEntries + " entries");
      }
      if (entry.isFile()) {
        bytes += entry.getSize();
        if (bytes > maxBytes) {
          throw new TooLarge(maxBytes);
        }
      }
      if (special.take(in, entry)) {
        continue;
      }
      String name = entry.getName();
      Path target = dir.resolve(name).normalize();
      if (target.equals(dir) && entry.isDirectory() && !name.startsWith("/")) {
        continue; // "./"
      }
      if (name.startsWith("/") || target.equals(dir) || !target.startsWith(dir)) {
        throw new Refused("entry \"" + name + "\" leaves the upload's directory");
      }
      requireNoLinkAbove(dir, target, name);
      if (entry.isDirectory()) {
        Files.createDirectories(target);
        chmod(target, entry.getMode() | 0700);
      } else if (entry.isSymbolicLink()) {
        Files.createDirectories(target.getParent());
        Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
      } else if (entry.isFile()) {
        Files.createDirectories(target.getParent());
        MessageDigest sha256 = Digest.newSha256();
        try (var out =
            new DigestOutputStream(
                Files.newOutputStream(
                    target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                sha256)) {
          in.transferTo(out);
        }
        String declared = entry.getExtraPaxHeader(ContextManifest.DIGEST_HEADER);
        if (declared != null && !declared.equals(HexFormat.of().formatHex(sha256.digest()))) {
          throw new Refused("\"" + name + "\" did not arrive whole: its sha256 differs");
        }
        chmod(target, entry.getMode());
        Files.setLastModifiedTime(target, entry.getLastModifiedTime());
      } else {
        throw new Refused("entry \"" + name + "\" is neither a file, a directory nor a symlink");
      }
    }
  }

  /** Refuses a name whose parent, inside {@code dir}, is a symlink: writing would follow it. */
  private static void requireNoLinkAbove(Path dir, Path target, String name) throws Refused {
    for (Path at = target.getParent(); at != null && !at.equals(dir); at = at.getParent()) {
      if (Files.isSymbolicLink(at)) {
        throw new Refused("entry \"" + name + "\" is below a symlink");
      }
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
        && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new Refused("entry \"" + name + "\" comes twice");
    }
  }

  /**
   * Sets all twelve mode bits of {@code path}: setuid, setgid and sticky too (a 1777 {@code /tmp}
   * stays one), which the JDK's permission set cannot say.
   */
  public static void chmod(Path path, int mode) throws IOException {
    Files.setAttribute(path, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
  }
}

package dev.kiln.engine.fileop;

import dev.kiln.engine.layer.TarReader;
import dev.kiln.engine.snapshot.ScopedPath;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * ADD's archive extraction: a local tar (plain, gzip, bzip2, xz or zstd) is unpacked into the
 * destination directory of the root filesystem. Entry paths never leave the directory (leading
 * slashes dropped, {@code ..} rejected) and existing symlinks are followed only inside the root, so
 * an archive cannot write to the host. Headers are read with bounded memory and corrupt tars are
 * refused ({@link TarReader}).
 */
final class ArchiveExtractor {
  private ArchiveExtractor() {}

  /** Whether {@code file} is a tar archive this extractor reads. */
  static boolean isArchive(Path file) throws IOException {
    try (InputStream in = open(file)) {
      byte[] header = in.readNBytes(512);
      return header.length == 512
          && new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
    } catch (IOException e) {
      return false; // not a format we know: ADD copies it as it is
    }
  }

  /** A directory whose mode and mtime are set once its contents are written. */
  private record PendingDir(Path dir, int mode, FileTime mtime) {}

  /** Unpacks {@code archive} into {@code destDir}, which lies inside {@code rootfs}. */
  static void extract(Path archive, Path destDir, Path rootfs, Optional<Ids> owner)
      throws IOException {
    List<PendingDir> directories = new ArrayList<>();
    try (InputStream in = open(archive)) {
      TarReader tar = new TarReader(in);
      for (TarArchiveEntry entry = tar.next(); entry != null; entry = tar.next()) {
        String name = clean(entry.getName());
        if (name.isEmpty()) {
          continue;
        }
        try {
          Path target = resolve(rootfs, destDir, name);
          Ids ids =
              owner.orElse(new Ids((int) entry.getLongUserId(), (int) entry.getLongGroupId()));
          Optional<FileInfo> existing = FileInfo.read(target);
          if (entry.isDirectory()) {
            if (existing.isEmpty() || !existing.get().isDirectory()) {
              remove(target, existing);
              Files.createDirectory(target);
            }
            PosixMetadata.chown(target, ids.uid(), ids.gid());
            directories.add(new PendingDir(target, entry.getMode(), entry.getLastModifiedTime()));
            continue;
          }
          remove(target, existing);
          if (entry.isSymbolicLink()) {
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
            PosixMetadata.chown(target, ids.uid(), ids.gid());
          } else if (entry.isLink()) {
            Path linked = resolve(rootfs, destDir, clean(entry.getLinkName()));
            Files.createLink(target, linked);
          } else if (entry.isFile()) {
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
              tar.content().transferTo(out);
            }
            PosixMetadata.chown(target, ids.uid(), ids.gid());
            PosixMetadata.chmod(target, entry.getMode());
            PosixMetadata.setMtime(target, entry.getLastModifiedTime());
          }
          // Devices and fifos are skipped: a build has no use for them.
        } catch (TarReader.MalformedTarException e) {
          throw e;
        } catch (IOException | InvalidPathException e) {
          throw new IOException("archive entry \"" + entry.getName() + "\": " + e.getMessage(), e);
        }
      }
    }
    for (int i = directories.size() - 1; i >= 0; i--) {
      PendingDir pending = directories.get(i);
      // A later entry may have replaced the directory or one of its parents with a symlink: chmod
      // would follow it, out of the root. Only a path still free of symlinks is touched.
      String inRoot = "/" + rootfs.relativize(pending.dir());
      if (ScopedPath.resolve(rootfs, inRoot, false).equals(pending.dir())
          && Files.isDirectory(pending.dir(), LinkOption.NOFOLLOW_LINKS)) {
        PosixMetadata.chmod(pending.dir(), pending.mode());
        PosixMetadata.setMtime(pending.dir(), pending.mtime());
      }
    }
  }

  private static InputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file));
    in.mark(8);
    byte[] magic = in.readNBytes(6);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GzipCompressorInputStream(in, true);
    }
    if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
      return new BZip2CompressorInputStream(in, true);
    }
    if (magic.length == 6 && XZCompressorInputStream.matches(magic, magic.length)) {
      return new XZCompressorInputStream(in, true);
    }
    if (magic.length >= 4
        && (magic[0] & 0xff) == 0x28
        && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      return new ZstdCompressorInputStream(in);
    }
    return in;
  }

  /** The entry name relative to the destination, or an error for names that climb out. */
  private static String clean(String name) throws IOException {
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IOException("archive entry \"" + name + "\" climbs out of the destination");
      }
      parts.add(part);
    }
    return String.join("/", parts);
  }

  /** Where {@code name} goes: its parent resolved inside the root, then its own name. */
  private static Path resolve(Path rootfs, Path destDir, String name) throws IOException {
    String relative = rootfs.relativize(destDir).toString();
    int slash = name.lastIndexOf('/');
    String parent = slash < 0 ? "" : name.substring(0, slash);
    Path dir = ScopedPath.resolve(rootfs, "/" + relative + "/" + parent, true);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Directories.makeAll(rootfs, dir, 0755, Optional.empty(), "/" + relative + "/" + parent);
    }
    return dir.resolve(name.substring(slash + 1));
  }

  private static void remove(Path target, Optional<FileInfo> existing) throws IOException {
    if (existing.isEmpty()) {
      return;
    }
    if (existing.get().isDirectory()) {
      dev.kiln.engine.snapshot.FileTrees.deleteRecursively(target);
    } else {
      Files.delete(target);
    }
  }
}

package dev.kiln.cli.daemon;

import dev.kiln.cli.ContextManifest;
import dev.kiln.cli.SecretIds;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks what a client sends for a build, a tar stream, into a fresh directory of the daemon,
 * trusting nothing in it: every name must stay inside the directory once normalised (no absolute
 * names, no {@code ..}), nothing is written through a symlink the stream made, only files,
 * directories and symlinks are taken, and the total size and count are bounded.
 */
final class ContextUpload {
  /** What is wrong with an upload, for a 400 answer. */
  static class BadUpload extends IOException {
    BadUpload(String message) {
      super(message);
    }
  }

  /** An upload beyond the size limit, for a 413 answer. */
  static final class TooLarge extends BadUpload {
    TooLarge(long maxBytes) {
      super("the upload is larger than " + maxBytes + " bytes");
    }
  }

  /** Where secrets travel in an upload. */
  static final String SECRET_PREFIX = "secret/";

  private static final int MAX_SECRETS = 100;
  private static final int MAX_SECRET_BYTES = 500 * 1024; // as BuildKit's

  private ContextUpload() {}

  /**
   * What an upload carried besides its files: secrets by id, and the context's manifest when the
   * client sent only the files the daemon lacked.
   */
  record Upload(Map<String, byte[]> secrets, Optional<ContextManifest> manifest) {}

  /**
   * Unpacks {@code tar} into the empty directory {@code dir}, except its secrets ({@code secret/ID}
   * entries, kept in memory and never written anywhere) and its context manifest. A file whose
   * entry carries a digest ({@code KILN.sha256}) must arrive with that digest.
   */
  static Upload unpack(InputStream tar, Path dir, long maxBytes, int maxEntries)
      throws IOException {
    long bytes = 0;
    int entries = 0;
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    Optional<ContextManifest> manifest = Optional.empty();
    TarArchiveInputStream in = new TarArchiveInputStream(tar);
    for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
      if (++entries > maxEntries) {
        throw new BadUpload("the upload has more than " + maxEntries + " entries");
      }
      String name = entry.getName();
      if (name.startsWith(SECRET_PREFIX)) {
        secret(in, entry, secrets);
        continue;
      }
      if (name.equals(ContextManifest.ENTRY)) {
        bytes += entry.getSize();
        if (bytes > maxBytes) {
          throw new TooLarge(maxBytes);
        }
        if (manifest.isPresent() || !entry.isFile()) {
          throw new BadUpload("more than one " + ContextManifest.ENTRY + ", or not a file");
        }
        try {
          manifest = Optional.of(ContextManifest.read(in));
        } catch (IOException e) {
          throw new BadUpload(e.getMessage());
        }
        continue;
      }
      Path target = dir.resolve(name).normalize();
      if (target.equals(dir) && entry.isDirectory() && !name.startsWith("/")) {
        continue; // "./"
      }
      if (name.startsWith("/") || target.equals(dir) || !target.startsWith(dir)) {
        throw new BadUpload("entry \"" + name + "\" leaves the upload's directory");
      }
      requireNoLinkAbove(dir, target, name);
      if (entry.isDirectory()) {
        Files.createDirectories(target);
        Files.setPosixFilePermissions(target, mode(entry.getMode() | 0700));
      } else if (entry.isSymbolicLink()) {
        Files.createDirectories(target.getParent());
        Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
      } else if (entry.isFile()) {
        bytes += entry.getSize();
        if (bytes > maxBytes) {
          throw new TooLarge(maxBytes);
        }
        Files.createDirectories(target.getParent());
        java.security.MessageDigest sha256 = dev.kiln.engine.graph.Digest.newSha256();
        try (var out =
            new java.security.DigestOutputStream(
                Files.newOutputStream(
                    target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                sha256)) {
          in.transferTo(out);
        }
        String declared = entry.getExtraPaxHeader(ContextManifest.DIGEST_HEADER);
        if (declared != null
            && !declared.equals(java.util.HexFormat.of().formatHex(sha256.digest()))) {
          throw new BadUpload("\"" + name + "\" did not arrive whole: its sha256 differs");
        }
        Files.setPosixFilePermissions(target, mode(entry.getMode()));
        Files.setLastModifiedTime(target, entry.getLastModifiedTime());
      } else {
        throw new BadUpload("entry \"" + name + "\" is neither a file, a directory nor a symlink");
      }
    }
    return new Upload(secrets, manifest);
  }

  /** Reads a secret into memory: a file entry named by a valid id, of at most 500 KiB. */
  private static void secret(
      TarArchiveInputStream in, TarArchiveEntry entry, Map<String, byte[]> secrets)
      throws IOException {
    String id = entry.getName().substring(SECRET_PREFIX.length());
    if (!entry.isFile() || !SecretIds.valid(id)) {
      throw new BadUpload(
          "entry \"" + entry.getName() + "\" is no secret: use secret/ID, ID of " + SecretIds.FORM);
    }
    if (secrets.size() >= MAX_SECRETS || secrets.containsKey(id)) {
      throw new BadUpload("too many secrets, or secret \"" + id + "\" twice");
    }
    if (entry.getSize() > MAX_SECRET_BYTES) {
      throw new BadUpload(
          "secret \"" + id + "\" is larger than " + MAX_SECRET_BYTES / 1024 + " KiB");
    }
    secrets.put(id, in.readNBytes((int) entry.getSize()));
  }

  /** Refuses a name whose parent, inside {@code dir}, is a symlink: writing would follow it. */
  private static void requireNoLinkAbove(Path dir, Path target, String name) throws BadUpload {
    for (Path at = target.getParent(); at != null && !at.equals(dir); at = at.getParent()) {
      if (Files.isSymbolicLink(at)) {
        throw new BadUpload("entry \"" + name + "\" is below a symlink");
      }
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
        && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new BadUpload("entry \"" + name + "\" comes twice");
    }
  }

  static Set<PosixFilePermission> mode(int mode) {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ … OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (1 << (8 - i))) != 0) {
        permissions.add(bits[i]);
      }
    }
    return permissions;
  }
}

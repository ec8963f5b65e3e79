package dev.kiln.cli.daemon;

import dev.kiln.cli.ContextManifest;
import dev.kiln.cli.SafeTar;
import dev.kiln.cli.SecretIds;
import dev.kiln.cli.SyncedDir;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
  static class BadUpload extends SafeTar.Refused {
    BadUpload(String message) {
      super(message);
    }
  }

  /** Where secrets travel in an upload. */
  static final String SECRET_PREFIX = "secret/";

  /**
   * Where a build's other directories travel: {@code dirs/KEY/…}, listed by {@code
   * dirs/KEY.manifest}.
   */
  static final String DIRS = "dirs";

  private static final Pattern DIR_MANIFEST =
      Pattern.compile(SyncedDir.UPLOAD + "/([0-9a-f]{64})\\.manifest");

  private static final int MAX_SECRETS = 100;
  private static final int MAX_SECRET_BYTES = 500 * 1024; // as BuildKit's

  private ContextUpload() {}

  /**
   * What an upload carried besides its files: secrets by id, the context's manifest when the client
   * sent only the files the daemon lacked, and the manifests of its other directories by key.
   */
  record Upload(
      Map<String, byte[]> secrets,
      Optional<ContextManifest> manifest,
      Map<String, ContextManifest> dirs) {}

  /**
   * Unpacks {@code tar} into the empty directory {@code dir}, except its secrets ({@code secret/ID}
   * entries, kept in memory and never written anywhere) and its context manifest. A file whose
   * entry carries a digest ({@code KILN.sha256}) must arrive with that digest.
   */
  static Upload unpack(InputStream tar, Path dir, long maxBytes, int maxEntries)
      throws IOException {
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    List<ContextManifest> manifest = new ArrayList<>();
    Map<String, ContextManifest> dirs = new LinkedHashMap<>();
    SafeTar.unpack(
        tar,
        dir,
        maxBytes,
        maxEntries,
        (in, entry) -> {
          String name = entry.getName();
          if (name.startsWith(SECRET_PREFIX)) {
            secret(in, entry, secrets);
            return true;
          }
          if (name.equals(ContextManifest.ENTRY)) {
            if (!manifest.isEmpty() || !entry.isFile()) {
              throw new BadUpload("more than one " + ContextManifest.ENTRY + ", or not a file");
            }
            manifest.add(manifest(in));
            return true;
          }
          Matcher listed = DIR_MANIFEST.matcher(name);
          if (listed.matches()) {
            if (dirs.containsKey(listed.group(1)) || !entry.isFile()) {
              throw new BadUpload("more than one " + name + ", or not a file");
            }
            dirs.put(listed.group(1), manifest(in));
            return true;
          }
          return false;
        });
    return new Upload(secrets, manifest.stream().findFirst(), dirs);
  }

  /**
   * Reads a tar of secrets only ({@code secret/ID} entries, as in an upload) into memory: what a
   * client sends again for a build that resumed without them.
   */
  static Map<String, byte[]> secrets(InputStream tar) throws IOException {
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(tar)) {
      for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        if (!entry.getName().startsWith(SECRET_PREFIX)) {
          throw new BadUpload("entry \"" + entry.getName() + "\" is no secret/ID");
        }
        secret(in, entry, secrets);
      }
    } catch (BadUpload e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new BadUpload("the secrets are no tar archive: " + e.getMessage());
    }
    return secrets;
  }

  private static ContextManifest manifest(InputStream in) throws BadUpload {
    try {
      return ContextManifest.read(in);
    } catch (IOException e) {
      throw new BadUpload(e.getMessage());
    }
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
}

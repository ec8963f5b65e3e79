package dev.kiln.engine.executor;

import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.SnapshotFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a {@link UserSpec} to numeric ids with the root filesystem's own {@code /etc/passwd} and
 * {@code /etc/group}, read from the layers (not the host's), with Docker's error messages.
 */
public final class PasswdLookup {
  private PasswdLookup() {}

  public static UnixUser resolve(UserSpec spec, Snapshot rootfs) throws ExecException {
    return resolve(spec, path -> SnapshotFiles.find(rootfs, path));
  }

  /**
   * Resolves {@code spec} reading the files of a mounted root filesystem: one open instead of a
   * walk down every layer, which grows with the stack. Paths through symlinks count as absent, so
   * that nothing outside the root is read.
   */
  public static UnixUser resolve(UserSpec spec, Path root) throws ExecException {
    return resolve(
        spec,
        path -> {
          Path dir = root.resolve("etc");
          Path file = root.resolve(path.substring(1));
          return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
              ? Optional.of(file)
              : Optional.empty();
        });
  }

  /** Finds a file of the root filesystem by its absolute path inside it. */
  @FunctionalInterface
  private interface RootFiles {
    Optional<Path> find(String path) throws IOException;
  }

  private static UnixUser resolve(UserSpec spec, RootFiles rootfs) throws ExecException {
    try {
      List<String[]> passwd = entries(rootfs, "/etc/passwd", 7);
      long uid;
      long gid = 0;
      String home = "/";
      if (UserSpec.isNumeric(spec.user())) {
        uid = Long.parseLong(spec.user());
        Optional<String[]> entry = find(passwd, 2, spec.user());
        if (entry.isPresent()) {
          gid = Long.parseLong(entry.get()[3]);
          home = entry.get()[5];
        }
      } else {
        String[] entry =
            find(passwd, 0, spec.user())
                .orElseThrow(
                    () ->
                        new ExecException(
                            "unable to find user "
                                + spec.user()
                                + ": no matching entries in passwd file",
                            -1));
        uid = Long.parseLong(entry[2]);
        gid = Long.parseLong(entry[3]);
        home = entry[5];
      }
      if (spec.group().isPresent()) {
        gid = groupId(spec.group().get(), rootfs);
      }
      return new UnixUser(uid, gid, home);
    } catch (IOException | IllegalArgumentException e) {
      throw new ExecException("unable to resolve user " + spec.user() + ": " + e.getMessage(), e);
    }
  }

  private static long groupId(String group, RootFiles rootfs) throws IOException, ExecException {
    if (UserSpec.isNumeric(group)) {
      return Long.parseLong(group);
    }
    return Long.parseLong(
        find(entries(rootfs, "/etc/group", 3), 0, group)
            .orElseThrow(
                () ->
                    new ExecException(
                        "unable to find group " + group + ": no matching entries in group file",
                        -1))[2]);
  }

  private static Optional<String[]> find(List<String[]> entries, int field, String value) {
    return entries.stream().filter(e -> e[field].equals(value)).findFirst();
  }

  // Lines with too few fields or non-numeric ids are skipped, as libc does.
  private static List<String[]> entries(RootFiles rootfs, String path, int minFields)
      throws IOException {
    Optional<Path> file = rootfs.find(path);
    if (file.isEmpty() || !Files.isRegularFile(file.get(), LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    // Decoding leniently: a stray non-UTF-8 byte in a comment must not fail the step.
    return new String(Files.readAllBytes(file.get()), StandardCharsets.UTF_8)
        .lines()
        .filter(line -> !line.isBlank() && !line.startsWith("#"))
        .map(line -> line.split(":", -1))
        .filter(fields -> fields.length >= minFields)
        .filter(fields -> UserSpec.isNumeric(fields[2]))
        .filter(fields -> minFields < 4 || UserSpec.isNumeric(fields[3]))
        .toList();
  }
}

package dev.kiln.engine.fileop;

import dev.kiln.engine.graph.Owner;
import dev.kiln.engine.snapshot.ScopedPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns {@code user[:group]} names into ids using the {@code /etc/passwd} and {@code /etc/group} of
 * a root filesystem (read inside it, never the host's); numbers are taken as they are.
 */
public final class UserLookup {
  private final Path rootfs;

  private UserLookup(Path rootfs) {
    this.rootfs = rootfs;
  }

  /** Looks names up in the files of {@code rootfs}, read when first needed. */
  public static UserLookup in(Path rootfs) {
    return new UserLookup(rootfs);
  }

  /**
   * The ids for {@code owner}. Without a group, a named user gets its primary group and a numeric
   * user the group of the same number, as Docker's {@code --chown} does.
   */
  public Ids resolve(Owner owner) throws IOException {
    String user = owner.user();
    int uid;
    int primaryGid;
    if (isNumber(user)) {
      uid = Integer.parseInt(user);
      primaryGid = uid;
    } else {
      String[] fields =
          find("/etc/passwd", user)
              .orElseThrow(
                  () ->
                      new IOException(
                          "unable to find user " + user + ": no matching entries in passwd file"));
      uid = parseId(fields, 2, "/etc/passwd", user);
      primaryGid = parseId(fields, 3, "/etc/passwd", user);
    }
    String group = owner.group();
    if (group.isEmpty()) {
      return new Ids(uid, primaryGid);
    }
    if (isNumber(group)) {
      return new Ids(uid, Integer.parseInt(group));
    }
    String[] fields =
        find("/etc/group", group)
            .orElseThrow(
                () ->
                    new IOException(
                        "unable to find group " + group + ": no matching entries in group file"));
    return new Ids(uid, parseId(fields, 2, "/etc/group", group));
  }

  private Optional<String[]> find(String file, String name) throws IOException {
    Path path = ScopedPath.resolve(rootfs, file, true);
    if (!Files.isRegularFile(path)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    for (String line : lines) {
      String[] fields = line.split(":", -1);
      if (fields.length >= 3 && fields[0].equals(name)) {
        return Optional.of(fields);
      }
    }
    return Optional.empty();
  }

  private static int parseId(String[] fields, int index, String file, String name)
      throws IOException {
    if (fields.length <= index || !isNumber(fields[index])) {
      throw new IOException(file + ": malformed entry for " + name);
    }
    return Integer.parseInt(fields[index]);
  }

  private static boolean isNumber(String text) {
    return !text.isEmpty() && text.length() < 10 && text.chars().allMatch(Character::isDigit);
  }
}

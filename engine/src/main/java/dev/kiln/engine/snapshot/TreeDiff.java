package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Writes what changed from directory {@code base} to directory {@code changed} as an overlay-format
 * layer: new and modified entries copied, deleted ones as whiteouts. Files count as unchanged when
 * kind, owner, mode, size, time and (for links) target are equal, as containerd's differ does.
 */
final class TreeDiff {
  /** Makes overlayfs whiteouts (0:0 character devices) at the given paths. */
  @FunctionalInterface
  interface Whiteouts {
    void create(List<Path> paths) throws IOException;
  }

  private final Path base;
  private final Path changed;
  private final Path upper;
  private final List<Path> whiteouts = new ArrayList<>();
  private final List<Path[]> directories = new ArrayList<>();

  private TreeDiff(Path base, Path changed, Path upper) {
    this.base = base;
    this.changed = changed;
    this.upper = upper;
  }

  /**
   * Fills the empty directory {@code upper} with the changes from {@code base} to {@code changed}.
   */
  static void write(Path base, Path changed, Path upper, Whiteouts maker) throws IOException {
    TreeDiff diff = new TreeDiff(base, changed, upper);
    diff.compare("");
    maker.create(diff.whiteouts);
    for (int i = diff.directories.size() - 1; i >= 0; i--) {
      Path[] pair = diff.directories.get(i);
      EntryCopy.finishDirectory(pair[1], EntryCopy.stat(pair[0]));
    }
  }

  /** Compares directory {@code relative}, which exists in both trees, entry by entry. */
  private void compare(String relative) throws IOException {
    Set<String> names = new TreeSet<>();
    names.addAll(list(base.resolve(relative)));
    names.addAll(list(changed.resolve(relative)));
    for (String name : names) {
      String child = relative.isEmpty() ? name : relative + "/" + name;
      Path before = base.resolve(child);
      Path after = changed.resolve(child);
      boolean existed = Files.exists(before, LinkOption.NOFOLLOW_LINKS);
      boolean exists = Files.exists(after, LinkOption.NOFOLLOW_LINKS);
      if (!exists) {
        ensureParent(relative);
        whiteouts.add(upper.resolve(child));
      } else if (!existed) {
        copyTree(child);
      } else {
        Map<String, Object> was = EntryCopy.stat(before);
        Map<String, Object> is = EntryCopy.stat(after);
        if (EntryCopy.isDirectory(was) && EntryCopy.isDirectory(is)) {
          if (!sameMetadata(was, is)) {
            ensureParent(relative);
            ensureDirectory(child);
          }
          compare(child);
        } else if (!same(before, after, was, is)) {
          copyTree(child);
        }
      }
    }
  }

  private void copyTree(String child) throws IOException {
    int slash = child.lastIndexOf('/');
    ensureParent(slash < 0 ? "" : child.substring(0, slash));
    Path src = changed.resolve(child);
    Map<String, Object> stat = EntryCopy.stat(src);
    Path dest = upper.resolve(child);
    if (!EntryCopy.copy(src, dest, stat) || !EntryCopy.isDirectory(stat)) {
      return;
    }
    // A directory that replaced a non-directory needs nothing from below: copy it whole.
    directories.add(new Path[] {src, dest});
    for (String name : list(src)) {
      copyTree(child + "/" + name);
    }
  }

  /** Makes sure the directories leading to {@code relative} exist in the upper layer. */
  private void ensureParent(String relative) throws IOException {
    if (relative.isEmpty()) {
      return;
    }
    int slash = relative.lastIndexOf('/');
    ensureParent(slash < 0 ? "" : relative.substring(0, slash));
    ensureDirectory(relative);
  }

  private void ensureDirectory(String relative) throws IOException {
    Path dest = upper.resolve(relative);
    if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path src = changed.resolve(relative);
    EntryCopy.copy(src, dest, EntryCopy.stat(src));
    directories.add(new Path[] {src, dest});
  }

  private static boolean sameMetadata(Map<String, Object> a, Map<String, Object> b) {
    return a.get("mode").equals(b.get("mode"))
        && a.get("uid").equals(b.get("uid"))
        && a.get("gid").equals(b.get("gid"));
  }

  private static boolean same(
      Path before, Path after, Map<String, Object> was, Map<String, Object> is) throws IOException {
    if (!sameMetadata(was, is)
        || !was.get("size").equals(is.get("size"))
        || !was.get("lastModifiedTime").equals(is.get("lastModifiedTime"))
        || !Objects.equals(was.get("rdev"), is.get("rdev"))) {
      return false;
    }
    if (Files.isSymbolicLink(after)) {
      return Files.readSymbolicLink(before).equals(Files.readSymbolicLink(after));
    }
    return true;
  }

  private static List<String> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

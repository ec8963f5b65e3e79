package dev.kiln.exporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lists a filesystem view depth first in name order, never following links, leaving out overlay
 * whiteouts (which only mean something between layers): the same tree gives the same order.
 */
public final class TreeWalker {
  private TreeWalker() {}

  /** Every entry below {@code root}, parents before children, as paths relative to it. */
  public static List<Path> walk(Path root) throws IOException {
    List<Path> entries = new ArrayList<>();
    visit(root, root, entries);
    return entries;
  }

  private static void visit(Path root, Path dir, List<Path> entries) throws IOException {
    List<Path> children;
    try (Stream<Path> list = Files.list(dir)) {
      children = list.sorted().toList();
    }
    for (Path child : children) {
      if (isWhiteout(child)) {
        continue;
      }
      entries.add(root.relativize(child));
      if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        visit(root, child, entries);
      }
    }
  }

  /** A 0:0 character device: overlayfs's mark for a deleted file. */
  public static boolean isWhiteout(Path path) throws IOException {
    var attrs = Files.readAttributes(path, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) attrs.get("mode");
    long rdev = (Long) attrs.get("rdev");
    return (mode & 0170000) == 0020000 && rdev == 0;
  }
}

package dev.kiln.engine.fileop;

import dev.kiln.engine.snapshot.ScopedPath;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Expands a glob path such as {@code /src/*.txt} inside a root, component by component. */
final class Wildcards {
  private Wildcards() {}

  /** The matching in-root paths, absolute and sorted; only paths that exist are returned. */
  static List<String> expand(Path root, String pattern) throws IOException {
    List<String> current = List.of("");
    for (String part : PathPatterns.clean(pattern).split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      List<String> next = new ArrayList<>();
      for (String prefix : current) {
        if (!GlobPattern.isGlob(part)) {
          next.add(prefix + "/" + part);
          continue;
        }
        for (Path child : matchingChildren(ScopedPath.resolve(root, prefix, true), part)) {
          next.add(prefix + "/" + child.getFileName());
        }
      }
      current = next;
    }
    List<String> found = new ArrayList<>();
    for (String path : current) {
      if (Files.exists(ScopedPath.resolve(root, path, false), LinkOption.NOFOLLOW_LINKS)) {
        found.add(path.isEmpty() ? "/" : path);
      }
    }
    found.sort(null);
    return found;
  }

  /** The entries of directory {@code dir} whose names match {@code glob}, sorted. */
  static List<Path> matchingChildren(Path dir, String glob) throws IOException {
    GlobPattern compiled = GlobPattern.compile(glob);
    List<Path> matches = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return matches;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        if (compiled.matches(child.getFileName().toString())) {
          matches.add(child);
        }
      }
    }
    matches.sort(null);
    return matches;
  }
}

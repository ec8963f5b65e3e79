package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Paths from a build are hostile (issue 10): in random trees of directories, files, hard links and
 * symbolic links (absolute, relative, looping, {@code ..} chains, pointing out of the root), no
 * path ever resolves outside the root, and the kernel would follow no symbolic link on the way to
 * what {@link ScopedPath} returns.
 */
class ScopedPathPropertyTest {
  private static final List<String> NAMES = List.of("a", "b", "c", "link", "etc");

  /** One entry of a tree: a directory, a file, a hard link or a symbolic link at {@code path}. */
  record Entry(String kind, String path, String target) {}

  @Provide
  Arbitrary<String> relativePaths() {
    return Arbitraries.of(NAMES).list().ofMinSize(1).ofMaxSize(4).map(p -> String.join("/", p));
  }

  @Provide
  Arbitrary<String> targets() {
    Arbitrary<String> parts =
        Arbitraries.of("a", "b", "link", "..", ".", "etc", "passwd", "")
            .list()
            .ofMaxSize(6)
            .map(p -> String.join("/", p));
    return Arbitraries.oneOf(
        parts,
        parts.map(p -> "/" + p),
        Arbitraries.of(
            "/", "..", "../..", "../../../../..", "/../../etc", "/proc/self/root", "link", "."));
  }

  @Provide
  Arbitrary<List<Entry>> trees() {
    Arbitrary<Entry> entry =
        Combinators.combine(
                Arbitraries.of("dir", "file", "hardlink", "symlink", "symlink", "symlink"),
                relativePaths(),
                targets())
            .as(Entry::new);
    return entry.list().ofMaxSize(25);
  }

  @Provide
  Arbitrary<String> queries() {
    return Arbitraries.of("a", "b", "c", "link", "etc", "..", ".", "passwd", "x")
        .list()
        .ofMinSize(1)
        .ofMaxSize(8)
        .map(p -> (p.size() % 2 == 0 ? "/" : "") + String.join("/", p));
  }

  @Property(tries = 300)
  void nothingResolvesOutOfTheRoot(
      @ForAll("trees") List<Entry> tree,
      @ForAll("queries") String query,
      @ForAll boolean followFinal)
      throws IOException {
    Path base = Files.createTempDirectory("kiln-scoped-");
    try {
      Path outside = Files.writeString(base.resolve("outside"), "secret");
      Path root = Files.createDirectories(base.resolve("root"));
      // Shallow entries first, so that deeper ones find their parents.
      tree.stream()
          .sorted(java.util.Comparator.comparingInt(e -> e.path().split("/").length))
          .forEach(entry -> make(root, entry, outside));
      Path resolved;
      try {
        resolved = ScopedPath.resolve(root, query, followFinal);
      } catch (IOException e) {
        assertTrue(e.getMessage().contains("too many levels of symbolic links"), e.getMessage());
        return;
      }
      assertTrue(
          resolved.normalize().startsWith(root) && resolved.normalize().equals(resolved),
          query + " -> " + resolved);
      // Every component on the way is a real directory (or missing): the kernel follows nothing.
      Path walked = root;
      Path relative = root.relativize(resolved);
      for (int i = 0; i < relative.getNameCount(); i++) {
        walked = walked.resolve(relative.getName(i));
        boolean last = i == relative.getNameCount() - 1;
        if (!last || followFinal) {
          assertFalse(Files.isSymbolicLink(walked), query + " -> " + resolved + " at " + walked);
        }
      }
    } finally {
      FileTrees.deleteRecursively(base);
    }
  }

  private static void make(Path root, Entry entry, Path outside) {
    Path at = root.resolve(entry.path());
    try {
      if (Files.exists(at, LinkOption.NOFOLLOW_LINKS)
          || !Files.isDirectory(at.getParent(), LinkOption.NOFOLLOW_LINKS)) {
        return; // taken, or its parent is not a plain directory
      }
      switch (entry.kind()) {
        case "dir" -> Files.createDirectory(at);
        case "file" -> Files.writeString(at, "inside");
        case "hardlink" -> Files.createLink(at, outside);
        default ->
            Files.createSymbolicLink(at, Path.of(entry.target().isEmpty() ? "." : entry.target()));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

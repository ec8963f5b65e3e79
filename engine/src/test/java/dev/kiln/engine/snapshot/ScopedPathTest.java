package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScopedPathTest {
  @TempDir Path temp;

  @Test
  void dotDotStopsAtTheRoot() throws IOException {
    Path root = Files.createDirectory(temp.resolve("root"));
    assertEquals(root.resolve("etc"), ScopedPath.resolve(root, "/../../etc", true));
    assertEquals(root, ScopedPath.resolve(root, "..", true));
  }

  @Test
  void absoluteSymlinksRestartAtTheRoot() throws IOException {
    Path root = Files.createDirectory(temp.resolve("root"));
    Files.createDirectories(root.resolve("real"));
    Files.createSymbolicLink(root.resolve("link"), Path.of("/real"));
    Files.createSymbolicLink(root.resolve("host"), temp);

    assertEquals(root.resolve("real/f"), ScopedPath.resolve(root, "/link/f", true));
    assertEquals(
        root.resolve(temp.toString().substring(1)), ScopedPath.resolve(root, "/host", true));
  }

  @Test
  void relativeSymlinksThatClimbAreClampedAtTheRoot() throws IOException {
    Path root = Files.createDirectory(temp.resolve("root"));
    Files.createDirectories(root.resolve("a"));
    Files.createSymbolicLink(root.resolve("a/up"), Path.of("../../../../etc"));

    Path resolved = ScopedPath.resolve(root, "a/up/passwd", true);

    assertEquals(root.resolve("etc/passwd"), resolved);
  }

  @Test
  void theFinalSymlinkIsFollowedOnlyWhenAsked() throws IOException {
    Path root = Files.createDirectory(temp.resolve("root"));
    Files.createSymbolicLink(root.resolve("l"), Path.of("target"));

    assertEquals(root.resolve("l"), ScopedPath.resolve(root, "/l", false));
    assertEquals(root.resolve("target"), ScopedPath.resolve(root, "/l", true));
  }

  @Test
  void symlinkLoopsFailWithTooManyLevels() throws IOException {
    Path root = Files.createDirectory(temp.resolve("root"));
    Files.createSymbolicLink(root.resolve("a"), Path.of("b"));
    Files.createSymbolicLink(root.resolve("b"), Path.of("a"));

    IOException e = assertThrows(IOException.class, () -> ScopedPath.resolve(root, "/a/x", true));
    assertTrue(e.getMessage().contains("too many levels of symbolic links"), e.getMessage());
  }
}

package dev.kiln.engine.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.fileop.PosixMetadata;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSourceTest {
  @TempDir Path temp;
  private Path context;

  @BeforeEach
  void context() throws IOException {
    context = Files.createDirectory(temp.resolve("context"));
    Files.createDirectories(context.resolve("src/main"));
    Files.writeString(context.resolve("src/main/App.java"), "class App {}");
    Files.writeString(context.resolve("README.md"), "readme");
    Files.createDirectories(context.resolve("node_modules/x"));
    Files.writeString(context.resolve("node_modules/x/index.js"), "js");
    Files.createSymbolicLink(context.resolve("escape"), Path.of("/etc"));
    Files.setPosixFilePermissions(
        context.resolve("README.md"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
    Files.setLastModifiedTime(context.resolve("README.md"), FileTime.fromMillis(123_000L));
  }

  @Test
  void copySelectsFilesKeepsLinksAndOwnsEverythingByRoot() throws IOException {
    Snapshotter snapshotter = new Snapshotter(temp.resolve("root"));

    Snapshot snapshot = LocalSource.copy(context, List.of(), List.of("node_modules"), snapshotter);

    assertEquals(1, snapshot.layers().size());
    Path fs = snapshot.layers().get(0).dir();
    assertEquals("class App {}", Files.readString(fs.resolve("src/main/App.java")));
    assertFalse(Files.exists(fs.resolve("node_modules")));
    assertEquals(Path.of("/etc"), Files.readSymbolicLink(fs.resolve("escape")));
    assertTrue(Files.isSymbolicLink(fs.resolve("escape")));
    assertEquals(0750, PosixMetadata.mode(fs.resolve("README.md")));
    assertEquals(FileTime.fromMillis(123_000L), Files.getLastModifiedTime(fs.resolve("README.md")));
    assertEquals(
        0, Files.getAttribute(fs.resolve("README.md"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void includePatternsKeepOnlyMatchingFilesAndTheirParents() throws IOException {
    Snapshotter snapshotter = new Snapshotter(temp.resolve("root"));

    Path fs =
        LocalSource.copy(context, List.of("**/*.java"), List.of(), snapshotter)
            .layers()
            .get(0)
            .dir();

    assertTrue(Files.exists(fs.resolve("src/main/App.java")));
    assertFalse(Files.exists(fs.resolve("README.md")));
    assertFalse(Files.exists(fs.resolve("node_modules")));
  }

  @Test
  void checksumIgnoresChangesToUnselectedFiles() throws IOException {
    String before = LocalSource.checksum(context, List.of(), List.of("node_modules"));
    Files.writeString(context.resolve("node_modules/x/index.js"), "changed");
    Files.writeString(context.resolve("node_modules/new.js"), "new");

    assertEquals(before, LocalSource.checksum(context, List.of(), List.of("node_modules")));
    assertTrue(before.startsWith("sha256:"));
  }

  @Test
  void checksumChangesWithSelectedContentModeOrLinkTarget() throws IOException {
    String base = LocalSource.checksum(context, List.of(), List.of());

    Files.writeString(context.resolve("README.md"), "edited");
    String edited = LocalSource.checksum(context, List.of(), List.of());
    PosixMetadata.chmod(context.resolve("README.md"), 0600);
    String chmodded = LocalSource.checksum(context, List.of(), List.of());
    Files.delete(context.resolve("escape"));
    Files.createSymbolicLink(context.resolve("escape"), Path.of("/usr"));
    String relinked = LocalSource.checksum(context, List.of(), List.of());

    assertNotEquals(base, edited);
    assertNotEquals(edited, chmodded);
    assertNotEquals(chmodded, relinked);
  }

  @Test
  void checksumIsStableAcrossCalls() throws IOException {
    assertEquals(
        LocalSource.checksum(context, List.of("src"), List.of()),
        LocalSource.checksum(context, List.of("src"), List.of()));
  }
}

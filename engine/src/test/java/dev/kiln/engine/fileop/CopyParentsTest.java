package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.engine.graph.FileAction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code COPY --parents}: sources keep their parent directories under the destination. */
class CopyParentsTest {
  @TempDir Path temp;
  Path rootfs;
  Path context;

  @BeforeEach
  void files() throws IOException {
    rootfs = Files.createDirectories(temp.resolve("rootfs"));
    context = Files.createDirectories(temp.resolve("context"));
    Files.createDirectories(context.resolve("x"));
    Files.createDirectories(context.resolve("y/sub"));
    Files.writeString(context.resolve("x/a.txt"), "xa");
    Files.writeString(context.resolve("y/a.txt"), "ya");
    Files.writeString(context.resolve("y/sub/b.txt"), "yb");
  }

  private void copy(String src, String dest) throws IOException {
    FileAction.Copy copy = FileAction.Copy.of(1, src, dest).keepingParents();
    copy =
        new FileAction.Copy(
            copy.input(),
            copy.src(),
            copy.dest(),
            copy.owner(),
            copy.mode(),
            true,
            true,
            true,
            true,
            false,
            List.of(),
            List.of(),
            false,
            true);
    FileActionApplier.apply(copy, rootfs, List.of(rootfs, context), UserLookup.in(rootfs));
  }

  @Test
  void eachSourceKeepsItsDirectories() throws IOException {
    copy("/x/a.txt", "/dest/");
    copy("/y/sub/b.txt", "/dest/");
    assertEquals("xa", Files.readString(rootfs.resolve("dest/x/a.txt")));
    assertEquals("yb", Files.readString(rootfs.resolve("dest/y/sub/b.txt")));
  }

  @Test
  void wildcardMatchesKeepTheirOwnParents() throws IOException {
    copy("/*/a.txt", "/dest/");
    assertEquals("xa", Files.readString(rootfs.resolve("dest/x/a.txt")));
    assertEquals("ya", Files.readString(rootfs.resolve("dest/y/a.txt")));
    assertFalse(Files.exists(rootfs.resolve("dest/a.txt")));
  }

  @Test
  void aDotSegmentMarksWhereTheKeptPathStarts() throws IOException {
    copy("/y/./sub/b.txt", "/dest/");
    assertEquals("yb", Files.readString(rootfs.resolve("dest/sub/b.txt")));
    assertFalse(Files.exists(rootfs.resolve("dest/y")));
  }
}

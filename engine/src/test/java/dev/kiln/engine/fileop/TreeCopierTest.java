package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeCopierTest {
  @TempDir Path temp;

  /** A source with directory {@code out/} and a destination where {@code out} links to target. */
  private Path[] sourceAndLinkedDest() throws Exception {
    Path src = Files.createDirectories(temp.resolve("src/out"));
    Files.writeString(src.resolve("f"), "image\n");
    Path dest = Files.createDirectories(temp.resolve("dest/target")).getParent();
    Files.createSymbolicLink(dest.resolve("out"), Path.of("target"));
    return new Path[] {src.getParent(), dest};
  }

  private static List<Path> listing(Path dir) throws Exception {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(dir::relativize).sorted().toList();
    }
  }

  @Test
  void anExportReplacesTheDestinationsLinkWithTheImagesDirectory() throws Exception {
    Path[] trees = sourceAndLinkedDest();

    TreeCopier.copyContents(trees[0], trees[1], trees[1], TreeCopier.Options.EXPORT);

    Path out = trees[1].resolve("out");
    assertTrue(Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS), "a directory, not the link");
    assertEquals("image\n", Files.readString(out.resolve("f")));
    assertEquals(List.of(), listing(trees[1].resolve("target")), "the link's target is untouched");
  }

  @Test
  void aCopyMergesIntoTheDirectoryALinkPointsTo() throws Exception {
    Path[] trees = sourceAndLinkedDest();

    TreeCopier.copyContents(trees[0], trees[1], trees[1], TreeCopier.Options.PRESERVE);

    assertTrue(Files.isSymbolicLink(trees[1].resolve("out")));
    assertEquals("image\n", Files.readString(trees[1].resolve("target/f")));
  }
}

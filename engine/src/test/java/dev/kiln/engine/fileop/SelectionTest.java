package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectionTest {
  @TempDir Path root;

  private List<String> walk(List<String> include, List<String> exclude) throws IOException {
    return SelectedTree.walk(root, Selection.of(include, exclude)).stream()
        .map(SelectedTree.Entry::relative)
        .toList();
  }

  @Test
  void excludedDirectoriesArePrunedUnlessAnExceptionReachesBelow() throws IOException {
    Files.createDirectories(root.resolve("logs/old"));
    Files.writeString(root.resolve("logs/a.log"), "");
    Files.writeString(root.resolve("logs/keep.txt"), "");
    Files.writeString(root.resolve("main.c"), "");

    assertEquals(List.of("main.c"), walk(List.of(), List.of("logs")));
    assertEquals(
        List.of("logs", "logs/keep.txt", "main.c"),
        walk(List.of(), List.of("logs", "!logs/keep.txt")));
  }

  @Test
  void includedFilesBringTheirParentsButNotTheirSiblings() throws IOException {
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve("a/b/x.go"), "");
    Files.writeString(root.resolve("a/b/y.txt"), "");
    Files.createDirectories(root.resolve("empty"));

    assertEquals(List.of("a", "a/b", "a/b/x.go"), walk(List.of("**/*.go"), List.of()));
  }
}

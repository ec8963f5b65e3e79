package dev.kiln.frontend.dockerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerIgnoreTest {
  @Test
  void readsPatternsWithDockersRules() {
    assertEquals(
        List.of("node_modules", "**/*.log", "!keep.log", "build", "a/b"),
        DockerIgnore.parse(
            "# comment\n\nnode_modules/\n  **/*.log  \n! keep.log\n/build\n./a/b\n#!not\n"));
  }

  @Test
  void patternsThatCleanToNothingAreDropped() {
    assertEquals(List.of(), DockerIgnore.parse("/\n./\n!/\n\r\n"));
  }

  @Test
  void aLineThatIsNoPatternIsAnErrorNamingTheFileAndLine(@TempDir Path context) throws Exception {
    Files.writeString(context.resolve(".dockerignore"), "# logs\nlogs/[z-a]\n");

    DockerIgnore.InvalidIgnoreFileException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            DockerIgnore.InvalidIgnoreFileException.class,
            () -> DockerIgnore.patterns(context, context.resolve("Dockerfile")));

    assertEquals(
        ".dockerignore:2: invalid pattern \"logs/[z-a]\": reversed range z-a", e.getMessage());
  }

  @Test
  void theDockerfilesOwnIgnoreFileWins(@TempDir Path context) throws Exception {
    Path dockerfile = Files.writeString(context.resolve("app.Dockerfile"), "FROM scratch\n");
    assertEquals(Optional.empty(), DockerIgnore.find(context, dockerfile));
    Files.writeString(context.resolve(".dockerignore"), "a\n");
    assertEquals(
        Optional.of(context.resolve(".dockerignore")), DockerIgnore.find(context, dockerfile));
    Files.writeString(context.resolve("app.Dockerfile.dockerignore"), "b\n");
    assertEquals(
        Optional.of(context.resolve("app.Dockerfile.dockerignore")),
        DockerIgnore.find(context, dockerfile));
    assertEquals(List.of("b"), DockerIgnore.read(DockerIgnore.find(context, dockerfile).get()));
  }
}

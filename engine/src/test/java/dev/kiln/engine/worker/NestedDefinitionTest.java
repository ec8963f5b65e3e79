package dev.kiln.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionWriter;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A build op's definition comes from a build: every hostile form is refused, naming the file. */
class NestedDefinitionTest {
  @TempDir Path temp;
  Snapshotter snapshotter;

  @BeforeEach
  void setUp() throws IOException {
    snapshotter = TestLayers.snapshotter(temp);
  }

  private Snapshot holding(Map<String, String> files) throws IOException {
    return new Snapshot(List.of(TestLayers.files(snapshotter, files)));
  }

  private String refusal(Snapshot snapshot, String path) {
    return assertThrows(
            InvalidDefinitionException.class,
            () -> NestedDefinition.read(snapshot, path, path.replaceFirst("^/", "")))
        .getMessage();
  }

  @Test
  void readsAndChecksTheDefinitionTheSnapshotHolds() throws IOException {
    Definition nested = State.source("local://context").run("true").definition();
    Snapshot snapshot = holding(Map.of("tools/graph.json", DefinitionWriter.write(nested)));

    assertEquals(nested, NestedDefinition.read(snapshot, "/tools/graph.json", "tools/graph.json"));
  }

  @Test
  void malformedJsonNamesTheFileAndTheLine() throws IOException {
    Snapshot snapshot = holding(Map.of("graph.json", "{\n  \"vertices\": [\n    {\"id\": }\n"));

    String message = refusal(snapshot, "/graph.json");

    assertTrue(message.startsWith("graph.json:3:"), message);
  }

  @Test
  void aMissingFileOrAPathOutOfTheInputIsRefused() throws IOException {
    Snapshot snapshot = holding(Map.of("other.json", "{}"));

    assertEquals(
        "graph.json: no such file in the build op's input", refusal(snapshot, "/graph.json"));
    assertTrue(refusal(snapshot, "/../etc/passwd").contains("climbs out"));
  }

  @Test
  void aSymbolicLinkIsNeverFollowed() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Files.createSymbolicLink(active.upper().resolve("graph.json"), Path.of("/etc/passwd"));
    Snapshot snapshot = new Snapshot(List.of(snapshotter.commit(active)));

    assertTrue(refusal(snapshot, "/graph.json").contains("symbolic link"));
  }

  @Test
  void aHugeFileIsRefusedUnread() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    try (RandomAccessFile file =
        new RandomAccessFile(active.upper().resolve("graph.json").toFile(), "rw")) {
      file.setLength(NestedDefinition.MAX_BYTES + 1); // sparse: nothing is written
    }
    Snapshot snapshot = new Snapshot(List.of(snapshotter.commit(active)));

    assertTrue(refusal(snapshot, "/graph.json").contains("at most"));
  }

  @Test
  void bytesThatAreNotUtf8AreRefused() throws IOException {
    ActiveLayer active = snapshotter.prepare();
    Files.write(active.upper().resolve("graph.json"), new byte[] {'{', (byte) 0xff, '}'});
    Snapshot snapshot = new Snapshot(List.of(snapshotter.commit(active)));

    assertEquals("graph.json: is not UTF-8 text", refusal(snapshot, "/graph.json"));
  }

  @Test
  void aDirectoryIsNotADefinition() throws IOException {
    Snapshot snapshot = holding(Map.of("graph.json/inner", "x"));

    assertEquals("graph.json: is not a regular file", refusal(snapshot, "/graph.json"));
  }
}

package dev.kiln.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DefinitionReaderTest {
  private static final String GOOD =
      """
      {
        "vertices": [
          {"id": "base", "op": {"type": "source", "identifier": "oci-layout:///layouts/busybox:latest"}},
          {"id": "a", "op": {"type": "exec", "args": ["sh", "-c", "echo a > /a"]},
           "inputs": [{"vertex": "base", "output": 0}], "meta": {"description": "make a"}},
          {"id": "all", "op": {"type": "merge"}, "inputs": [{"vertex": "base"}, {"vertex": "a"}]}
        ],
        "root": {"vertex": "all"}
      }
      """;

  private static String error(String json) {
    return assertThrows(
            InvalidDefinitionException.class,
            () -> DefinitionReader.parse(json, "graph.json", Path.of("/defs")))
        .getMessage();
  }

  @Test
  void readsVerticesAndResolvesIdsToDigests() {
    Definition definition = DefinitionReader.parse(GOOD, "graph.json", Path.of("/defs"));
    assertEquals(3, definition.vertices().size());
    Vertex root = definition.vertex(definition.root().vertex());
    assertTrue(root.op() instanceof MergeOp);
    assertEquals("make a", definition.vertex(root.inputs().get(1).vertex()).name());
  }

  /** Pins digests: if this changes, every cache key changes, so it must only change on purpose. */
  @Test
  void vertexDigestsNeverDriftSilently() {
    Definition definition = DefinitionReader.parse(GOOD, "graph.json", Path.of("/defs"));
    assertEquals(
        "sha256:b7349339fb117c822c69fe60a06176f0200b191abac21e74a398c4f81c1dad88",
        definition.root().vertex().value());
  }

  @Test
  void writtenDefinitionsReadBackIdentically() {
    Definition definition = DefinitionReader.parse(GOOD, "graph.json", Path.of("/defs"));
    String written = DefinitionWriter.write(definition);
    assertEquals(definition, DefinitionReader.parse(written, "again.json", Path.of("/defs")));
  }

  @Test
  void metadataDoesNotChangeIdentity() {
    Definition plain = DefinitionReader.parse(GOOD, "graph.json", Path.of("/defs"));
    Definition described =
        DefinitionReader.parse(
            GOOD.replace("make a", "something else"), "graph.json", Path.of("/defs"));
    assertEquals(plain.root(), described.root());
  }

  @Test
  void relativeLayoutPathsAreAnchoredAtTheDefinitionsDirectory() {
    Definition definition =
        DefinitionReader.parse(
            GOOD.replace("oci-layout:///layouts/busybox", "oci-layout://busybox"),
            "graph.json",
            Path.of("/defs"));
    assertTrue(
        definition.vertices().values().stream()
            .anyMatch(
                v ->
                    v.op() instanceof SourceOp s
                        && s.identifier().equals("oci-layout:///defs/busybox:latest")));
  }

  @Test
  void malformedJsonNamesFileLineAndColumn() {
    String message = error("{\n  \"vertices\": [\n    {\"id\": \"a\",,}\n  ]\n}");
    assertTrue(message.startsWith("graph.json:3:"), message);
  }

  @Test
  void unknownFieldsAreRejectedByName() {
    String message = error(GOOD.replace("\"args\"", "\"argz\": [], \"args\""));
    assertTrue(message.contains("unknown field \"argz\""), message);
  }

  @Test
  void unknownOpTypesAreRejected() {
    String message = error(GOOD.replace("\"type\": \"merge\"", "\"type\": \"mangle\""));
    assertTrue(message.startsWith("graph.json:"), message);
    assertTrue(message.contains("mangle"), message);
  }

  @Test
  void missingInputsNameTheVertex() {
    String message = error(GOOD.replace("{\"vertex\": \"a\"}", "{\"vertex\": \"ghost\"}"));
    assertEquals("graph.json: vertex \"all\" names missing input \"ghost\"", message);
  }

  @Test
  void cyclesAreRejectedWithTheirPath() {
    String json =
        """
        {"vertices": [
          {"id": "x", "op": {"type": "exec", "args": ["true"]}, "inputs": [{"vertex": "y"}]},
          {"id": "y", "op": {"type": "exec", "args": ["true"]}, "inputs": [{"vertex": "x"}]}
        ], "root": {"vertex": "x"}}
        """;
    String message = error(json);
    assertTrue(message.contains("cycle: x -> y -> x"), message);
  }

  @Test
  void pathsThatClimbOutOfTheRootAreRejected() {
    String message = error(GOOD.replace("\"args\"", "\"cwd\": \"/../../etc\", \"args\""));
    assertEquals(
        "graph.json: vertex \"a\": cwd: path \"/../../etc\" climbs out of its root with ..",
        message);
  }

  @Test
  void relativeAndClimbingFilePathsAreRejected() {
    String json =
        """
        {"vertices": [
          {"id": "f", "op": {"type": "file", "actions": [
            {"action": "mkfile", "path": "/a/../../../x", "mode": 420, "data": "hi"}]}}
        ], "root": {"vertex": "f"}}
        """;
    assertTrue(error(json).contains("climbs out of its root"), error(json));
    assertTrue(error(json.replace("/a/../../../x", "x")).contains("is not absolute"));
  }

  @Test
  void duplicateIdsEmptyArgsAndUnknownSchemesAreRejected() {
    assertTrue(error(GOOD.replace("\"id\": \"a\"", "\"id\": \"base\"")).contains("used twice"));
    assertTrue(error(GOOD.replace("[\"sh\", \"-c\", \"echo a > /a\"]", "[]")).contains("no args"));
    assertTrue(
        error(GOOD.replace("oci-layout:///layouts/busybox:latest", "ftp://x"))
            .contains("unknown source \"ftp://x\""));
  }

  @Test
  void aSecretEnvNameThatIsNoVariableNameIsRejected() {
    String mount =
        "\"mounts\": [{\"dest\": \"\", \"type\": \"secret\", \"secretId\": \"t\","
            + " \"env\": \"A=B; rm\"}], \"args\"";
    String message = error(GOOD.replace("\"args\"", mount));
    assertTrue(message.contains("secret env name \"A=B; rm\" is not a valid"), message);
  }

  @Test
  void readingOtherOutputsThanTheFirstIsRejected() {
    String message =
        error(
            GOOD.replace(
                "\"vertex\": \"base\", \"output\": 0", "\"vertex\": \"base\", \"output\": 2"));
    assertTrue(message.contains("reads output 2 of \"base\""), message);
  }

  @Test
  void aMissingFileIsNamed() {
    var e =
        assertThrows(
            InvalidDefinitionException.class,
            () -> DefinitionReader.read(Path.of("/nonexistent/graph.json")));
    assertEquals("/nonexistent/graph.json: no such file", e.getMessage());
  }
}

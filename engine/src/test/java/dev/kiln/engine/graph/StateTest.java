package dev.kiln.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StateTest {
  @Test
  void aSharedBaseBecomesOneVertex() {
    State base = State.source("oci-layout:///l/busybox:latest");
    State a = base.run("sh", "-c", "echo a > /a");
    State b = base.env("X", "1").dir("/tmp").run("sh", "-c", "echo b > /b");
    Definition definition = State.merge(a, b).definition();
    assertEquals(4, definition.vertices().size());
    ExecOp bOp =
        definition.vertices().values().stream()
            .map(Vertex::op)
            .filter(op -> op instanceof ExecOp e && e.args().get(2).contains("b"))
            .map(ExecOp.class::cast)
            .findFirst()
            .orElseThrow();
    assertEquals("/tmp", bOp.cwd());
    assertTrue(bOp.env().contains("X=1"));
  }

  @Test
  void sameGraphSameDigests() {
    State one = State.source("scratch").run("true").describe("first");
    State two = State.source("scratch").run("true").describe("other name");
    assertEquals(one.definition().root(), two.definition().root());
  }

  @Test
  void theCanonicalFormIsSortedCompactJson() throws Exception {
    String json = GraphJson.canonical().writeValueAsString(ExecOp.of("true"));
    assertEquals(
        "{\"type\":\"exec\",\"args\":[\"true\"],\"cwd\":\"/\",\"env\":[],\"mounts\":[],"
            + "\"network\":\"none\",\"security\":\"sandbox\",\"user\":\"0\"}",
        json);
  }

  @Test
  void aCopyThatDoesNotUnpackSerialisesAsBefore() throws Exception {
    var copy = FileAction.Copy.of(1, "/a", "/b");
    String plain = GraphJson.canonical().writeValueAsString(copy);
    assertTrue(!plain.contains("attemptUnpack"), plain);
    assertTrue(
        GraphJson.canonical()
            .writeValueAsString(copy.unpacking())
            .contains("\"attemptUnpack\":true"));
  }

  @Test
  void mountsWrittenWithTheOriginalFieldsOnlyKeepTheirJson() throws Exception {
    String json = GraphJson.canonical().writeValueAsString(Mount.bind(1, "/src", "/app", true));
    assertEquals(
        "{\"cacheId\":null,\"dest\":\"/src\",\"input\":1,\"readonly\":true,"
            + "\"selector\":\"/app\",\"type\":\"bind\"}",
        json);
  }

  @Test
  void aSecretMountCarriesItsIdAndNoContent() throws Exception {
    Mount secret =
        Mount.secret(
            "/run/secrets/t",
            "t",
            java.util.Optional.empty(),
            false,
            java.util.Optional.empty(),
            java.util.Optional.empty(),
            java.util.Optional.empty());
    String json = GraphJson.canonical().writeValueAsString(secret);
    assertTrue(json.contains("\"secretId\":\"t\""), json);
    Mount read = GraphJson.mapper().readValue(json, Mount.class);
    assertEquals(secret, read);
  }

  @Test
  void runMountsReadTheirStatesAsInputsAfterTheRootFilesystem() {
    State base = State.source("oci-layout:///l/busybox:latest");
    State other = State.source("oci-layout:///l/other:latest");
    State run =
        base.run(
            java.util.List.of(
                RunMount.of(Mount.tmpfs("/t", java.util.Optional.empty())),
                RunMount.of(other, Mount.bind(0, "/o", "", true))),
            SecurityMode.INSECURE,
            java.util.List.of("true"));
    Definition definition = run.definition();
    Vertex vertex = definition.vertices().get(definition.root().vertex());
    ExecOp op = (ExecOp) vertex.op();
    assertEquals(2, vertex.inputs().size());
    assertEquals(java.util.Optional.of(1), op.mounts().get(1).input());
    assertEquals(SecurityMode.INSECURE, op.security());
  }
}

package dev.kiln.engine.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.Input;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.graph.VertexDigests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CriticalPathTest {
  private final Map<Digest, Vertex> vertices = new LinkedHashMap<>();

  private Input add(String name, Input... inputs) {
    Vertex vertex = new Vertex(ExecOp.of("ok", name), List.of(inputs), null);
    Digest digest = VertexDigests.of(vertex);
    vertices.put(digest, vertex);
    return Input.of(digest);
  }

  @Test
  void aStageReadFirstByAChainOfCopiesComesBeforeTheStagesReadLater() {
    // A multi-stage build: stages s0..s3 (a base and a RUN each), then COPY --from each in turn.
    Input base = add("base");
    List<Input> stages = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      stages.add(add("run" + i, base));
    }
    Input copy = add("final-base");
    List<Input> copies = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      copy = add("copy" + i, copy, stages.get(i));
      copies.add(copy);
    }
    Definition definition = new Definition(vertices, copy);

    Map<Digest, Integer> heights = CriticalPath.heights(definition, definition.topologicalOrder());

    assertEquals(0, heights.get(copies.get(3).vertex()));
    assertEquals(3, heights.get(copies.get(0).vertex()));
    assertEquals(4, heights.get(stages.get(0).vertex()), "read by the first copy");
    assertEquals(1, heights.get(stages.get(3).vertex()), "read by the last copy");
    assertEquals(5, heights.get(base.vertex()), "the longest path wins: through run0");
    assertEquals(vertices.size(), heights.size(), "every vertex has one");
  }

  @Test
  void aDefinitionOfOneVertexHasItsRootAtZero() {
    Input only = add("only");
    Definition definition = new Definition(vertices, only);
    assertEquals(
        Map.of(only.vertex(), 0), CriticalPath.heights(definition, definition.topologicalOrder()));
  }
}

package dev.kiln.engine.graph;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.ArrayList;
import java.util.List;

/** Writes a definition as a document whose vertex ids are their digests. */
public final class DefinitionWriter {
  private DefinitionWriter() {}

  public static String write(Definition definition) {
    List<DefinitionFile.FileVertex> vertices = new ArrayList<>();
    for (Digest digest : definition.topologicalOrder()) {
      Vertex vertex = definition.vertex(digest);
      List<DefinitionFile.FileInput> inputs =
          vertex.inputs().stream()
              .map(i -> new DefinitionFile.FileInput(i.vertex().value(), i.output()))
              .toList();
      vertices.add(
          new DefinitionFile.FileVertex(digest.value(), vertex.op(), inputs, vertex.meta()));
    }
    Input root = definition.root();
    var doc =
        new DefinitionFile(
            vertices, new DefinitionFile.FileInput(root.vertex().value(), root.output()));
    try {
      return GraphJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

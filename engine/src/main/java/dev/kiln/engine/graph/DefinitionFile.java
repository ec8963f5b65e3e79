package dev.kiln.engine.graph;

import java.util.List;

/**
 * The JSON document form of a definition: vertices with file-local ids (any unique string, the
 * digest when written by Kiln), inputs naming those ids, and the root. See docs/definition.md.
 */
public record DefinitionFile(List<FileVertex> vertices, FileInput root) {
  public DefinitionFile {
    vertices = vertices == null ? List.of() : List.copyOf(vertices);
  }

  /** A vertex as written in a file. */
  public record FileVertex(String id, Op op, List<FileInput> inputs, VertexMeta meta) {
    public FileVertex {
      inputs = inputs == null ? List.of() : List.copyOf(inputs);
      meta = meta == null ? VertexMeta.EMPTY : meta;
    }
  }

  /** An input as written in a file: a vertex id and an output index. */
  public record FileInput(String vertex, int output) {}
}

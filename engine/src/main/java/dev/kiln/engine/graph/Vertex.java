package dev.kiln.engine.graph;

import java.util.List;

/** An op with its inputs (which define its identity) and its metadata (which does not). */
public record Vertex(Op op, List<Input> inputs, VertexMeta meta) {
  public Vertex {
    if (op == null) {
      throw new IllegalArgumentException("vertex has no op");
    }
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    meta = meta == null ? VertexMeta.EMPTY : meta;
  }

  /** The description shown in progress: the metadata's, else the op's summary. */
  public String name() {
    return meta.description().isEmpty() ? op.summary() : meta.description();
  }
}

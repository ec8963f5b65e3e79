package dev.kiln.engine.graph;

/** Per-vertex metadata that does not change the vertex's identity. */
public record VertexMeta(String description, boolean ignoreCache, String progressGroup) {
  public static final VertexMeta EMPTY = new VertexMeta("", false, "");

  public VertexMeta {
    description = description == null ? "" : description;
    progressGroup = progressGroup == null ? "" : progressGroup;
  }

  public VertexMeta withDescription(String text) {
    return new VertexMeta(text, ignoreCache, progressGroup);
  }

  public VertexMeta withIgnoreCache(boolean ignore) {
    return new VertexMeta(description, ignore, progressGroup);
  }
}

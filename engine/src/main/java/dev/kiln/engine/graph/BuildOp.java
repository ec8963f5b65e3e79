package dev.kiln.engine.graph;

/** Solves the definition found at {@code definitionPath} in input 0: a nested build. */
public record BuildOp(String definitionPath) implements Op {
  public BuildOp {
    definitionPath =
        definitionPath == null || definitionPath.isEmpty() ? "/definition.json" : definitionPath;
  }

  @Override
  public String summary() {
    return "build " + definitionPath;
  }
}

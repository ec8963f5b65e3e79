package dev.kiln.engine.graph;

/** The changes that lead from input 0 (lower) to input 1 (upper). */
public record DiffOp() implements Op {
  @Override
  public String summary() {
    return "diff";
  }
}

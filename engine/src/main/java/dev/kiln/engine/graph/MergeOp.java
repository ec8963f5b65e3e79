package dev.kiln.engine.graph;

/** Stacks its inputs' filesystems, later inputs on top of earlier ones. */
public record MergeOp() implements Op {
  @Override
  public String summary() {
    return "merge";
  }
}

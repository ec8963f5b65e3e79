package dev.kiln.engine.placement;

import dev.kiln.engine.solver.Result;

/**
 * A vertex output made on a node of the cluster: its layers, lowest first, each named where it is
 * held. It moves to another node only when a step there needs it.
 */
public record PlacedSnapshot(SnapshotRef ref) implements Result {
  @Override
  public String describe() {
    return "snapshot of " + ref.layers().size() + " layers held by " + ref.heldBy();
  }
}

package dev.kiln.engine.worker;

import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.solver.Result;

/** A vertex output held by this worker: a committed snapshot. */
public record SnapshotResult(Snapshot snapshot) implements Result {
  @Override
  public String describe() {
    return "snapshot of " + snapshot.layers().size() + " layers";
  }
}

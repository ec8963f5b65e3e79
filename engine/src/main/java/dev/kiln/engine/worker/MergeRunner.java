package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import java.util.List;

/** Merges by stacking layers: no file is copied. */
final class MergeRunner extends BlockingRunner {
  MergeRunner(Digest digest, BlockingPool pool) {
    super(digest, pool);
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) {
    return Snapshot.stack(inputs);
  }
}

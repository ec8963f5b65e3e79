package dev.kiln.engine.worker;

import dev.kiln.engine.executor.ExecSpec;
import dev.kiln.engine.executor.Executor;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.util.List;

/** Runs an exec op: its input's filesystem plus a fresh layer that becomes its output's top. */
final class ExecRunner extends BlockingRunner {
  private final ExecOp op;
  private final Executor executor;
  private final Snapshotter snapshotter;

  ExecRunner(
      Digest digest, ExecOp op, Executor executor, Snapshotter snapshotter, BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.executor = executor;
    this.snapshotter = snapshotter;
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    Snapshot rootfs = base(inputs);
    ExecSpec spec =
        new ExecSpec(op.args(), op.env(), op.cwd(), op.user(), op.network(), op.security());
    return addLayer(snapshotter, rootfs, upper -> executor.run(spec, rootfs, upper, context));
  }
}

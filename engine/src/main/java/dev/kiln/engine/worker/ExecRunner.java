package dev.kiln.engine.worker;

import dev.kiln.engine.executor.ExecSpec;
import dev.kiln.engine.executor.Executor;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.BuildInputs;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs an exec op: its input's filesystem plus a fresh layer that becomes its output's top; the
 * other inputs are read by its mounts. Secrets (its build's) and cache contents never enter the
 * cache key.
 */
final class ExecRunner extends BlockingRunner {
  private final ExecOp op;
  private final Executor executor;
  private final Snapshotter snapshotter;
  private final BuildInputs build;

  ExecRunner(
      Digest digest,
      ExecOp op,
      Executor executor,
      Snapshotter snapshotter,
      BuildInputs build,
      BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.executor = executor;
    this.snapshotter = snapshotter;
    this.build = build;
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    Snapshot rootfs = base(inputs);
    ExecMounts mounts = ExecMounts.resolve(op.mounts(), inputs, build);
    List<String> env = new ArrayList<>(op.env());
    env.addAll(mounts.env);
    ExecSpec spec =
        new ExecSpec(
            op.args(),
            env,
            op.cwd(),
            op.user(),
            op.network(),
            op.security(),
            mounts.mounts,
            mounts.secretEnv);
    return addLayer(snapshotter, rootfs, upper -> executor.run(spec, rootfs, upper, context));
  }
}

package dev.kiln.engine.placement;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.MountType;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Resolver;
import java.util.concurrent.Executor;

/**
 * A coordinator's resolver: exec steps, claimed in the cluster ({@link StepClaims}), go to the
 * cluster's workers through {@link Placement}; every other op (sources, file ops, merges, nested
 * builds) and a step that needs its build's secrets or ssh agents run on this node, with the
 * cluster's results they read made local first.
 */
public final class PlacingResolver implements Resolver {
  private final Resolver local;
  private final Coordination coordination;
  private final LayerStore layers;
  private final Executor io;

  PlacingResolver(Resolver local, Coordination coordination, LayerStore layers, Executor io) {
    this.local = local;
    this.coordination = coordination;
    this.layers = layers;
    this.io = io;
  }

  @Override
  public OpRunner resolve(Digest digest, Vertex vertex, BuildInputs inputs) {
    OpRunner here =
        new LocalizingRunner(
            local.resolve(digest, vertex, inputs), layers, coordination.lineage(), io);
    if (vertex.op() instanceof ExecOp exec && placeable(exec)) {
      return new PlacedRunner(
          here,
          coordination.placement(),
          coordination.claims(),
          coordination.lineage(),
          layers,
          io);
    }
    return here;
  }

  /** Secrets and ssh agents are the client's, handed to this node only. */
  private static boolean placeable(ExecOp exec) {
    return exec.mounts().stream()
        .noneMatch(mount -> mount.type() == MountType.SECRET || mount.type() == MountType.SSH);
  }
}

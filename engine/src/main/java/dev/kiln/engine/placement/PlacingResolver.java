package dev.kiln.engine.placement;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.MountType;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Resolver;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A coordinator's resolver: exec steps, claimed in the cluster ({@link StepClaims}), go to the
 * cluster's workers through {@link Placement}; every other op (sources, file ops, merges, nested
 * builds) and a step that needs its build's secrets or ssh agents run on this node, with the
 * cluster's results they read made local first.
 */
public final class PlacingResolver implements Resolver {
  private final Resolver local;
  private final ActorRef<Placement.Command> placement;
  private final ActorRef<StepClaims.Command> claims;
  private final LayerStore layers;
  private final Executor io;

  public PlacingResolver(
      Resolver local,
      ActorRef<Placement.Command> placement,
      ActorRef<StepClaims.Command> claims,
      LayerStore layers,
      Executor io) {
    this.local = local;
    this.placement = placement;
    this.claims = claims;
    this.layers = layers;
    this.io = io;
  }

  @Override
  public OpRunner resolve(Digest digest, Vertex vertex, BuildInputs inputs) {
    OpRunner here = new LocalizingRunner(local.resolve(digest, vertex, inputs), layers, io);
    if (vertex.op() instanceof ExecOp exec && placeable(exec)) {
      return new PlacedRunner(here, placement, claims, layers, io);
    }
    return here;
  }

  /** Secrets and ssh agents are the client's, handed to this node only. */
  private static boolean placeable(ExecOp exec) {
    return exec.mounts().stream()
        .noneMatch(mount -> mount.type() == MountType.SECRET || mount.type() == MountType.SSH);
  }
}

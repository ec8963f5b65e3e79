package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An op runner whose work blocks (processes, files): it runs on the given pool and completes the
 * stage from there, so no actor thread ever waits on it.
 */
abstract class BlockingRunner implements OpRunner {
  private final Digest opDigest;
  private final BlockingPool pool;

  /** {@code opDigest} identifies the op alone; inputs enter cache keys through their own keys. */
  BlockingRunner(Digest opDigest, BlockingPool pool) {
    this.opDigest = opDigest;
    this.pool = pool;
  }

  /** The op's own work, on a pool thread; returns its one output. */
  abstract Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception;

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return CompletableFuture.completedFuture(opDigest.value());
  }

  @Override
  public final CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
    List<Snapshot> snapshots = new ArrayList<>();
    for (Result input : inputs) {
      snapshots.add(((SnapshotResult) input).snapshot());
    }
    return pool.supply(
        () -> {
          context.cancellation().check();
          return List.<Result>of(new SnapshotResult(execute(snapshots, context)));
        });
  }

  /** Writes into a fresh layer. */
  @FunctionalInterface
  interface LayerWork {
    void write(ActiveLayer upper) throws Exception;
  }

  /** Runs {@code work} on a fresh layer and stacks it on {@code base}; failures discard it. */
  static Snapshot addLayer(Snapshotter snapshotter, Snapshot base, LayerWork work)
      throws Exception {
    ActiveLayer upper = snapshotter.prepare();
    try {
      work.write(upper);
      return base.plus(snapshotter.commit(upper));
    } catch (Exception | Error e) {
      snapshotter.discard(upper);
      throw e;
    }
  }

  static Snapshot base(List<Snapshot> inputs) {
    return inputs.isEmpty() ? Snapshot.SCRATCH : inputs.get(0);
  }
}

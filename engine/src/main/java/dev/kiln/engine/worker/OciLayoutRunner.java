package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.source.OciLayoutSource;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Imports an image from an OCI layout; its cache digest is the manifest digest it resolves to. */
final class OciLayoutRunner extends BlockingRunner {
  private final SourceOp op;
  private final OciLayoutSource layouts;
  private final BlockingPool pool;

  OciLayoutRunner(Digest digest, SourceOp op, OciLayoutSource layouts, BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.layouts = layouts;
    this.pool = pool;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return pool.supply(() -> "oci-layout@" + layouts.resolveManifest(op.identifier()));
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    return layouts.load(op.identifier());
  }
}

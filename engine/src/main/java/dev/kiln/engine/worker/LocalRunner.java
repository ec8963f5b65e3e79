package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.source.LocalSync;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Copies a local directory; its cache digest is the checksum of the selected content, so editing a
 * file that is not selected does not bust the cache. Both read only what changed since the last
 * time (see {@link LocalSync}).
 */
final class LocalRunner extends BlockingRunner {
  private final SourceOp op;
  private final Path dir;
  private final LocalSync sync;
  private final BlockingPool pool;

  LocalRunner(Digest digest, SourceOp op, Path dir, LocalSync sync, BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.dir = dir;
    this.sync = sync;
    this.pool = pool;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return pool.supply(
        () -> "local@" + sync.checksum(dir, op.includePatterns(), op.excludePatterns()));
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    return sync.copy(dir, op.includePatterns(), op.excludePatterns());
  }
}

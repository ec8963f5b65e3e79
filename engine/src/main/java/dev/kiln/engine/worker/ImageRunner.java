package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.source.ImageSource;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Imports an image; its cache digest is the manifest digest it resolves to, whatever its source
 * (the same image from a layout or a registry is the same content).
 */
final class ImageRunner extends BlockingRunner {
  private final SourceOp op;
  private final ImageSource images;
  private final BlockingPool pool;

  ImageRunner(Digest digest, SourceOp op, ImageSource images, BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.images = images;
    this.pool = pool;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return pool.supply(() -> "image@" + images.resolveManifest(op.identifier()));
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    return images.load(op.identifier());
  }
}

package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.source.HttpSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Downloads a file. Its cache digest is the expected checksum when the op gives one (nothing is
 * fetched on a hit), else the digest of what the server sent, so a changed file busts the cache.
 */
final class HttpRunner extends BlockingRunner {
  private final SourceOp op;
  private final HttpSource http;
  private final BlockingPool pool;
  private final Optional<Digest> checksum;
  private volatile Optional<HttpSource.Download> fetched = Optional.empty();

  HttpRunner(Digest opDigest, SourceOp op, HttpSource http, BlockingPool pool) {
    super(opDigest, pool);
    this.op = op;
    this.http = http;
    this.pool = pool;
    this.checksum = op.attr(SourceOp.HTTP_CHECKSUM).map(Digest::parse);
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    if (checksum.isPresent()) {
      return CompletableFuture.completedFuture("http@" + checksum.get() + "#" + filename());
    }
    return pool.supply(() -> "http@" + download().digest() + "#" + filename());
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    HttpSource.Download download = fetched.isPresent() ? fetched.get() : download();
    return http.snapshot(download, filename());
  }

  private HttpSource.Download download() throws java.io.IOException {
    HttpSource.Download download = http.fetch(op.identifier(), checksum);
    fetched = Optional.of(download);
    return download;
  }

  private String filename() {
    return op.attr(SourceOp.HTTP_FILENAME).orElse("download");
  }
}

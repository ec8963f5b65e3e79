package dev.kiln.engine.worker;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.source.ImageBlobs;
import dev.kiln.engine.source.ImageSource;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Imports an image; its cache digest is the manifest digest it resolves to, whatever its source
 * (the same image from a layout or a registry is the same content). The image is resolved once:
 * what runs is the manifest the cache key was made from, even if its tag moves meanwhile.
 */
final class ImageRunner extends BlockingRunner {
  private final SourceOp op;
  private final ImageSource images;
  private final BlockingPool pool;
  private volatile ImageBlobs resolved;

  ImageRunner(Digest digest, SourceOp op, ImageSource images, BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.images = images;
    this.pool = pool;
  }

  @Override
  public CompletionStage<String> cacheDigest(RunContext context) {
    return pool.supply(() -> "image@" + resolve().top().digest());
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    return images.loader().load(resolve());
  }

  private synchronized ImageBlobs resolve() throws java.io.IOException {
    if (resolved == null) {
      resolved = new PinnedBlobs(images.blobs(op.identifier()));
    }
    return resolved;
  }

  /** Blobs whose top descriptor is looked up once (a tag, an index.json) and then kept. */
  private static final class PinnedBlobs implements ImageBlobs {
    private final ImageBlobs blobs;
    private Descriptor top;

    PinnedBlobs(ImageBlobs blobs) {
      this.blobs = blobs;
    }

    @Override
    public synchronized Descriptor top() throws java.io.IOException {
      if (top == null) {
        top = blobs.top();
      }
      return top;
    }

    @Override
    public void fetch(Descriptor blob, ContentStore store) throws java.io.IOException {
      blobs.fetch(blob, store);
    }

    @Override
    public java.io.IOException error(String problem, Throwable cause) {
      return blobs.error(problem, cause);
    }
  }
}

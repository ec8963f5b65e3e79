package dev.kiln.engine.worker;

import dev.kiln.engine.executor.Executor;
import dev.kiln.engine.graph.BuildOp;
import dev.kiln.engine.graph.DiffOp;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.FileOp;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.graph.MergeOp;
import dev.kiln.engine.graph.Op;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.graph.VertexDigests;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Resolver;
import dev.kiln.engine.source.DockerImageSource;
import dev.kiln.engine.source.HttpSource;
import dev.kiln.engine.source.LocalSync;
import dev.kiln.engine.source.OciLayoutSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A worker: executor, snapshotter and content store, and the runners that apply each op with them.
 * It is the solver's only way to run ops.
 */
public final class Worker implements Resolver {
  private final Executor executor;
  private final Snapshotter snapshotter;
  private final OciLayoutSource layouts;
  private final DockerImageSource images;
  private final HttpSource http;
  private final LocalSync localSync;
  private final Map<String, Path> locals;
  private final BlockingPool execPool;
  private final BlockingPool ioPool;

  public Worker(
      Executor executor,
      Snapshotter snapshotter,
      OciLayoutSource layouts,
      DockerImageSource images,
      HttpSource http,
      LocalSync localSync,
      Map<String, Path> locals,
      java.util.concurrent.Executor execPool,
      java.util.concurrent.Executor ioPool) {
    this.executor = executor;
    this.snapshotter = snapshotter;
    this.layouts = layouts;
    this.images = images;
    this.http = http;
    this.localSync = localSync;
    this.locals = Map.copyOf(locals);
    this.execPool = new BlockingPool(execPool);
    this.ioPool = new BlockingPool(ioPool);
  }

  /**
   * Waits, at most {@code limit}, until no step, unpack or copy is running: an engine calls it when
   * it closes, after its builds were cancelled.
   */
  public boolean awaitIdle(java.time.Duration limit) throws InterruptedException {
    long start = System.nanoTime();
    boolean exec = execPool.awaitIdle(limit);
    return exec && ioPool.awaitIdle(limit.minusNanos(System.nanoTime() - start));
  }

  /** The engine-wide host directory of {@code local://NAME}, if the engine was given one. */
  public Optional<Path> localDir(String name) {
    return Optional.ofNullable(locals.get(name));
  }

  public Snapshotter snapshotter() {
    return snapshotter;
  }

  @Override
  public OpRunner resolve(Digest digest, Vertex vertex, BuildInputs build) {
    Op op = vertex.op();
    // The vertex digest covers the inputs' definitions (a layout's path, say); cache keys take
    // the op alone and the inputs' cache keys, so the same content gives the same key anywhere.
    Digest opDigest = VertexDigests.of(op, List.of());
    if (op instanceof ExecOp exec) {
      return new ExecRunner(opDigest, exec, executor, snapshotter, build, execPool);
    } else if (op instanceof SourceOp source) {
      return source(opDigest, vertex, source, build.locals());
    } else if (op instanceof FileOp file) {
      return new FileRunner(opDigest, file, snapshotter, ioPool);
    } else if (op instanceof MergeOp) {
      return new MergeRunner(opDigest, ioPool);
    } else if (op instanceof DiffOp) {
      throw unsupported(vertex, "diff ops are not supported yet");
    } else if (op instanceof BuildOp nested) {
      return new BuildRunner(nested, vertex, build, ioPool);
    }
    throw unsupported(vertex, "unknown op");
  }

  private OpRunner source(
      Digest opDigest, Vertex vertex, SourceOp source, Map<String, Path> buildLocals) {
    switch (source.scheme()) {
      case "scratch":
        return new MergeRunner(opDigest, ioPool);
      case "oci-layout":
        return new ImageRunner(opDigest, source, layouts, ioPool);
      case "docker-image":
        return new ImageRunner(opDigest, source, images, ioPool);
      case "local":
        Path dir = buildLocals.getOrDefault(source.location(), locals.get(source.location()));
        if (dir == null) {
          throw unsupported(
              vertex,
              "local source \""
                  + source.location()
                  + "\" has no directory: pass --local "
                  + source.location()
                  + "=DIR");
        }
        return new LocalRunner(opDigest, source, dir, localSync, ioPool);
      case "http":
      case "https":
        if (source
            .attr(SourceOp.HTTP_CHECKSUM)
            .filter(c -> !c.matches("sha256:[0-9a-f]{64}"))
            .isPresent()) {
          throw unsupported(
              vertex,
              "checksum " + source.attr(SourceOp.HTTP_CHECKSUM).get() + " is not sha256:<64 hex>");
        }
        return new HttpRunner(opDigest, source, http, ioPool);
      default:
        throw unsupported(vertex, "source " + source.scheme() + ":// is not supported yet");
    }
  }

  private static InvalidDefinitionException unsupported(Vertex vertex, String what) {
    return new InvalidDefinitionException("[" + vertex.name() + "]: " + what);
  }
}

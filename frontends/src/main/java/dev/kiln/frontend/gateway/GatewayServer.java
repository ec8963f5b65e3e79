package dev.kiln.frontend.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.executor.Executor;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.GraphPaths;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.source.OciReference;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.gateway.client.Frames;
import dev.kiln.gateway.client.GatewayCodec;
import dev.kiln.gateway.client.GatewayMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kiln's side of the gateway API (docs/gateway.md): it says hello, answers a frontend's requests
 * (each on a thread of its own pool, in any order) and takes its {@code return}. Everything the
 * frontend sends is hostile: a frame that is malformed or too big, a path that climbs out of its
 * reference, an early end or a silence longer than the idle limit ends the conversation with an
 * error that names the frontend and what it did; a bad request that harms nothing (a missing file,
 * an invalid definition) gets an {@code error} answer, and the frontend may go on.
 */
public final class GatewayServer implements Executor.Conversation {
  /** How long a frontend may stay silent while it waits for no answer. */
  public static final Duration DEFAULT_IDLE = Duration.ofMinutes(5);

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the frontend may read and use, besides the results of its own solves. */
  public record Grant(Map<String, Path> inputs, Set<String> localNames, Set<Path> hostLayouts) {
    public Grant {
      inputs = Map.copyOf(inputs);
      localNames = Set.copyOf(localNames);
      hostLayouts = Set.copyOf(hostLayouts);
    }
  }

  private final String name;
  private final GatewayMessage.Hello hello;
  private final Grant grant;
  private final GatewayBackend backend;
  private final Duration idle;
  private final Map<String, Solved> refs = new ConcurrentHashMap<>();
  private final AtomicInteger nextRef = new AtomicInteger();
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile Optional<FrontendResult> result = Optional.empty();
  private volatile Optional<String> returnedError = Optional.empty();

  /** When the answer being written started to wait for the frontend to read; 0: none waits. */
  private volatile long sendingSince;

  /** A solve's definition, and its evaluation once something needs it. */
  private static final class Solved {
    final Definition definition;
    private CompletableFuture<Outcome> evaluation;

    Solved(Definition definition) {
      this.definition = definition;
    }

    synchronized CompletableFuture<Outcome> evaluate(GatewayBackend backend) {
      if (evaluation == null) {
        evaluation = backend.solve(definition).toCompletableFuture();
      }
      return evaluation;
    }
  }

  /**
   * A server for the frontend {@code name} (its reference, for errors), which it greets with {@code
   * hello}.
   */
  public GatewayServer(
      String name, GatewayMessage.Hello hello, Grant grant, GatewayBackend backend, Duration idle) {
    this.name = name;
    this.hello = hello;
    this.grant = grant;
    this.backend = backend;
    this.idle = idle;
  }

  /**
   * What the frontend returned, once the conversation is over; throws with the frontend's error
   * when it returned one.
   */
  public FrontendResult result() throws FrontendException {
    if (returnedError.isPresent()) {
      throw new FrontendException("frontend " + name + " failed: " + returnedError.get());
    }
    return result.orElseThrow(
        () -> new FrontendException("frontend " + name + " returned no result"));
  }

  /** The error the frontend returned instead of a result, as it wrote it. */
  public Optional<String> returnedError() {
    return returnedError;
  }

  @Override
  public void talk(InputStream fromFrontend, OutputStream toFrontend) throws Exception {
    BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> readFrames(fromFrontend, frames), "kiln-gateway-reader");
    reader.setDaemon(true);
    reader.start();
    ExecutorService pool =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread = new Thread(runnable, "kiln-gateway-request");
              thread.setDaemon(true);
              return thread;
            });
    try {
      try {
        send(toFrontend, hello);
      } catch (IOException e) {
        // It stopped reading (or exited) early: what it wrote says why, or its end does.
      }
      GatewayMessage first = next(frames);
      if (!(first instanceof GatewayMessage.Hello greeting)) {
        throw new FrontendException(
            "frontend " + name + " did not answer hello first (it sent " + kind(first) + ")");
      }
      if (greeting.version() != GatewayMessage.VERSION) {
        throw new FrontendException(
            "frontend "
                + name
                + " speaks gateway API version "
                + greeting.version()
                + "; Kiln speaks "
                + GatewayMessage.VERSION);
      }
      while (true) {
        GatewayMessage message = next(frames);
        if (message instanceof GatewayMessage.Return done) {
          accept(done);
          return;
        }
        if (!(message instanceof GatewayMessage.Request request)) {
          throw new FrontendException(
              "frontend " + name + " sent a " + kind(message) + " message, which only Kiln sends");
        }
        checkPath(request);
        outstanding.incrementAndGet();
        // A solve is checked and named here, so that its ref exists for the next message (a
        // return may follow at once); only its evaluation goes on elsewhere. Reads block: pool.
        CompletableFuture<GatewayMessage.Answer> pending =
            request instanceof GatewayMessage.Solve
                ? answer(request)
                : CompletableFuture.supplyAsync(() -> answer(request), pool)
                    .thenCompose(answer -> answer);
        // Answers go out from the pool: a frontend that stops reading blocks a pool thread,
        // never this one, which then sees it (next).
        pending.whenCompleteAsync(
            (answer, failure) -> {
              GatewayMessage.Answer sent = failure == null ? answer : error(request.id(), failure);
              try {
                send(toFrontend, sent);
              } catch (IOException e) {
                frames.add(e); // the conversation is over: the reader will say why
              } finally {
                outstanding.decrementAndGet();
                frames.add(Tick.INSTANCE);
              }
            },
            pool);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Wakes the conversation when an answer went out, so that the idle clock restarts. */
  private enum Tick {
    INSTANCE
  }

  /** The end of the frontend's output. */
  private enum End {
    INSTANCE
  }

  private static void readFrames(InputStream in, BlockingQueue<Object> frames) {
    try {
      while (true) {
        Optional<byte[]> body = Frames.read(in);
        if (body.isEmpty()) {
          frames.add(End.INSTANCE);
          return;
        }
        frames.add(body.get());
      }
    } catch (IOException e) {
      frames.add(e);
    }
  }

  /** The next message; the idle limit counts only while no request is being answered. */
  private GatewayMessage next(BlockingQueue<Object> frames) throws Exception {
    long idleSince = System.nanoTime();
    while (true) {
      Object item = frames.poll(100, TimeUnit.MILLISECONDS);
      if (item == null || item == Tick.INSTANCE) {
        long sending = sendingSince;
        if (sending != 0 && System.nanoTime() - sending > idle.toNanos()) {
          throw new FrontendException(
              "frontend "
                  + name
                  + " has not read Kiln's answers for "
                  + idle.toSeconds()
                  + " s; it is stuck");
        }
        if (outstanding.get() > 0) {
          idleSince = System.nanoTime();
        } else if (System.nanoTime() - idleSince > idle.toNanos()) {
          throw new FrontendException(
              "frontend "
                  + name
                  + " sent nothing for "
                  + idle.toSeconds()
                  + " s while waiting for no answer; it is stuck");
        }
        continue;
      }
      if (item == End.INSTANCE) {
        throw new FrontendException(
            "frontend " + name + " closed its output before returning a result");
      }
      if (item instanceof IOException e) {
        throw new FrontendException("frontend " + name + ": " + e.getMessage(), e);
      }
      try {
        return GatewayCodec.decode((byte[]) item);
      } catch (IOException e) {
        throw new FrontendException("frontend " + name + " sent garbage: " + e.getMessage(), e);
      }
    }
  }

  private void send(OutputStream out, GatewayMessage message) throws IOException {
    byte[] body = GatewayCodec.encode(message);
    if (body.length > Frames.MAX_BYTES && message instanceof GatewayMessage.Answer answer) {
      body =
          GatewayCodec.encode(
              new GatewayMessage.Error(
                  answer.id(), "the answer would exceed a frame's 16 MiB", Optional.empty()));
    }
    synchronized (out) {
      sendingSince = System.nanoTime();
      try {
        Frames.write(out, body);
      } finally {
        sendingSince = 0;
      }
    }
  }

  /** A path that climbs out of its reference is an attack, not a mistake: it ends the build. */
  private void checkPath(GatewayMessage.Request request) throws FrontendException {
    String path = null;
    if (request instanceof GatewayMessage.ReadFile read) {
      path = read.path();
    } else if (request instanceof GatewayMessage.ReadDir dir) {
      path = dir.path();
    } else if (request instanceof GatewayMessage.Stat stat) {
      path = stat.path();
    }
    if (path != null && (GraphPaths.climbsOutOfRoot(path) || path.indexOf('\0') >= 0)) {
      throw new FrontendException(
          "frontend " + name + " asked for " + path + ", a path outside what it was given");
    }
  }

  private CompletableFuture<GatewayMessage.Answer> answer(GatewayMessage.Request request) {
    try {
      if (request instanceof GatewayMessage.Solve solve) {
        return solve(solve);
      } else if (request instanceof GatewayMessage.ResolveImageConfig image) {
        return CompletableFuture.completedFuture(imageConfig(image));
      } else if (request instanceof GatewayMessage.ReadFile read) {
        return onRoot(read.ref(), root -> RefFiles.read(root, read));
      } else if (request instanceof GatewayMessage.ReadDir dir) {
        return onRoot(dir.ref(), root -> RefFiles.list(root, dir));
      } else if (request instanceof GatewayMessage.Stat stat) {
        return onRoot(stat.ref(), root -> RefFiles.stat(root, stat));
      }
      throw new IllegalStateException("unknown request " + request);
    } catch (Exception e) {
      return CompletableFuture.completedFuture(error(request.id(), e));
    }
  }

  /** Reading a file of a reference: an input's directory, or a solve's result, evaluated. */
  @FunctionalInterface
  private interface RootWork {
    GatewayMessage.Answer apply(Path root) throws IOException;
  }

  private CompletableFuture<GatewayMessage.Answer> onRoot(String ref, RootWork work)
      throws IOException {
    Path input = grant.inputs().get(ref);
    if (input != null) {
      return CompletableFuture.completedFuture(work.apply(input));
    }
    Solved solved = refs.get(ref);
    if (solved == null) {
      throw new IOException("unknown ref \"" + ref + "\"");
    }
    return solved
        .evaluate(backend)
        .thenApply(
            outcome -> {
              if (outcome instanceof Outcome.SolveFailed failed) {
                throw new SolveFailure(failed);
              }
              var snapshot = ((SnapshotResult) ((Outcome.Solved) outcome).result()).snapshot();
              try (MountedFs view = backend.mount(snapshot)) {
                return work.apply(view.path());
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
  }

  private static final class SolveFailure extends RuntimeException {
    final Outcome.SolveFailed failed;

    SolveFailure(Outcome.SolveFailed failed) {
      super(failed.error().render(), null, false, false);
      this.failed = failed;
    }
  }

  private CompletableFuture<GatewayMessage.Answer> solve(GatewayMessage.Solve request) {
    Definition definition;
    try {
      String text = JSON.writeValueAsString(request.definition());
      definition = DefinitionReader.parse(text, "solve " + request.id(), null);
      checkSources(definition);
    } catch (InvalidDefinitionException | IOException e) {
      return CompletableFuture.completedFuture(error(request.id(), e));
    }
    String ref = "r" + nextRef.incrementAndGet();
    Solved solved = new Solved(definition);
    refs.put(ref, solved);
    if (!request.evaluate()) {
      return CompletableFuture.completedFuture(new GatewayMessage.Solved(request.id(), ref));
    }
    return solved
        .evaluate(backend)
        .thenApply(
            outcome ->
                outcome instanceof Outcome.SolveFailed failed
                    ? error(request.id(), new SolveFailure(failed))
                    : new GatewayMessage.Solved(request.id(), ref));
  }

  /** A frontend's definition reads only the inputs and host layouts the build gave it. */
  private void checkSources(Definition definition) {
    for (Vertex vertex : definition.vertices().values()) {
      if (!(vertex.op() instanceof SourceOp source)) {
        continue;
      }
      if (source.scheme().equals("local") && !grant.localNames().contains(source.location())) {
        throw new InvalidDefinitionException(
            "local://"
                + source.location()
                + " is not an input of this build (it has "
                + String.join(", ", new java.util.TreeSet<>(grant.localNames()))
                + ")");
      }
      if (source.scheme().equals("oci-layout")) {
        checkLayout(source.identifier());
      }
    }
  }

  private void checkLayout(String identifier) {
    Path dir;
    try {
      dir = OciReference.parse(identifier).dir().normalize();
    } catch (IllegalArgumentException e) {
      throw new InvalidDefinitionException(e.getMessage());
    }
    if (!grant.hostLayouts().contains(dir)) {
      throw new InvalidDefinitionException(
          identifier
              + " is a host layout the build did not give (--build-context NAME=oci-layout://DIR)");
    }
  }

  private GatewayMessage.Answer imageConfig(GatewayMessage.ResolveImageConfig request)
      throws IOException {
    String image = request.image();
    String identifier =
        image.startsWith("oci-layout://") || image.startsWith("docker-image://")
            ? image
            : "docker-image://" + image;
    if (identifier.startsWith("oci-layout://")) {
      try {
        checkLayout(identifier);
      } catch (InvalidDefinitionException e) {
        throw new IOException(e.getMessage(), e);
      }
    }
    JsonNode config = backend.imageConfig(identifier);
    byte[] bytes = JSON.writeValueAsBytes(config);
    return new GatewayMessage.ImageConfig(request.id(), Digest.sha256(bytes).toString(), config);
  }

  private void accept(GatewayMessage.Return done) throws FrontendException {
    if (done.error().isPresent()) {
      returnedError = done.error();
      return;
    }
    Solved solved = refs.get(done.ref().orElseThrow());
    if (solved == null) {
      throw new FrontendException(
          "frontend " + name + " returned unknown ref \"" + done.ref().get() + "\"");
    }
    result = Optional.of(new FrontendResult(solved.definition, done.config(), done.metadata()));
  }

  /** The error answer for {@code failure}; a failed solve's names the step that failed. */
  private static GatewayMessage.Error error(long id, Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.io.UncheckedIOException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof SolveFailure solve) {
      return new GatewayMessage.Error(
          id, solve.getMessage(), Optional.of(solve.failed.error().name()));
    }
    String message =
        cause instanceof NoSuchFileException missing
            ? missing.getFile() + ": no such file"
            : String.valueOf(cause.getMessage());
    return new GatewayMessage.Error(id, message, Optional.empty());
  }

  private static String kind(GatewayMessage message) {
    return message.getClass().getSimpleName();
  }
}

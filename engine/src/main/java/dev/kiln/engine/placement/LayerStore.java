package dev.kiln.engine.placement;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.layer.LayerUnpacker;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.worker.SnapshotResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's side of the cluster's layers: names its own layers for other nodes ({@link LayerRef}s
 * with their sizes), and makes another node's layers local by fetching them from that node's {@link
 * DataServer}, verified by digest and fetched once however many steps ask at the same time. Every
 * method blocks: callers run it on the I/O dispatcher.
 */
public final class LayerStore {
  /** The header a data server sends the tar's digest in. */
  static final String DIGEST_HEADER = "Kiln-Content-Digest";

  /** Beside a fetched layer's {@code fs}: the name it was fetched under ({@link LayerRef#line}). */
  private static final String ORIGIN_FILE = "origin";

  private final Snapshotter snapshotter;
  private final String self;
  private final String selfUrl;
  private final Map<String, String> urls = new ConcurrentHashMap<>();
  private final HttpClient http;
  private final Map<String, CompletableFuture<Layer>> fetched = new ConcurrentHashMap<>();
  private final Map<String, Long> sizes = new ConcurrentHashMap<>();
  // A fetched layer's id here, to the name it was fetched under.
  private final Map<String, LayerRef> origins = new ConcurrentHashMap<>();
  // The copies on disk from before this store began, by the name fetched under; read on first need.
  private volatile Map<String, String> earlier;
  private final AtomicLong layersFetched = new AtomicLong();
  private final AtomicLong bytesFetched = new AtomicLong();

  /**
   * {@code self} is this node's cluster address, as its {@link LayerRef}s name it; {@code selfUrl}
   * where its {@link DataServer} listens.
   */
  public LayerStore(Snapshotter snapshotter, String self, String selfUrl) {
    this(snapshotter, self, selfUrl, Optional.empty());
  }

  /** As above, fetching over mutual TLS with {@code tls} when given. */
  public LayerStore(
      Snapshotter snapshotter,
      String self,
      String selfUrl,
      Optional<javax.net.ssl.SSLContext> tls) {
    this.snapshotter = snapshotter;
    this.self = self;
    this.selfUrl = selfUrl;
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    tls.ifPresent(client::sslContext);
    this.http = client.build();
  }

  /** This node's cluster address. */
  public String self() {
    return self;
  }

  /** Where this node's data server listens. */
  public String selfUrl() {
    return selfUrl;
  }

  /** Learns where {@code node}'s data server listens. */
  public void know(String node, String url) {
    urls.put(node, url);
  }

  /** Learns where {@code node} serves its layers, unless it is known already (or is this node). */
  public void learn(String node, String url) {
    if (!node.equals(self)) {
      urls.putIfAbsent(node, url);
    }
  }

  /** Where each node this one knows of serves its layers. */
  public Map<String, String> urls() {
    Map<String, String> all = new java.util.HashMap<>(urls);
    all.put(self, selfUrl);
    return all;
  }

  /** How many layers, and how many bytes of tar, this node fetched from others. */
  public Moved moved() {
    return new Moved(layersFetched.get(), bytesFetched.get());
  }

  /** Data fetched from other nodes: layers and their tars' bytes. */
  public record Moved(long layers, long bytes) {}

  /**
   * {@code result} named for other nodes: a layer fetched from another node keeps the name it was
   * fetched under, so that no node fetches a copy of a layer it holds.
   */
  public SnapshotRef refs(Result result) throws IOException {
    if (result instanceof PlacedSnapshot placed) {
      return placed.ref();
    }
    List<LayerRef> refs = new ArrayList<>();
    for (Layer layer : snapshot(result).layers()) {
      refs.add(origin(layer).orElse(new LayerRef(self, layer.id(), size(layer))));
    }
    return new SnapshotRef(refs, self);
  }

  /** {@code result} as a snapshot of this node, fetching the layers it lacks. */
  public Result local(Result result) throws IOException {
    return result instanceof PlacedSnapshot placed
        ? new SnapshotResult(local(placed.ref()))
        : result;
  }

  /**
   * The snapshot {@code ref} names, fetching the layers this node lacks from the node holding it (a
   * copy, when another made them), else from the node that made each.
   */
  public Snapshot local(SnapshotRef ref) throws IOException {
    List<Layer> local = new ArrayList<>();
    for (LayerRef layer : ref.layers()) {
      local.add(layer(layer, ref.heldBy()));
    }
    return new Snapshot(local);
  }

  /**
   * The snapshot of {@code layers}, each fetched (if this node lacks it) from the node that made
   * it.
   */
  public Snapshot local(List<LayerRef> layers) throws IOException {
    List<Layer> local = new ArrayList<>();
    for (LayerRef layer : layers) {
      local.add(layer(layer, layer.node()));
    }
    return new Snapshot(local);
  }

  /**
   * This node's copy of {@code name} (fetched since it started, or before: its origin file names
   * it), for other nodes to fetch.
   */
  Optional<Layer> copy(LayerRef name) {
    CompletableFuture<Layer> copy = fetched.get(name.name());
    if (copy == null) {
      return earlierCopy(name);
    }
    if (!copy.isDone() || copy.isCompletedExceptionally()) {
      return Optional.empty();
    }
    Layer layer = copy.join();
    return Files.isDirectory(layer.dir(), LinkOption.NOFOLLOW_LINKS)
        ? Optional.of(layer)
        : Optional.empty();
  }

  /** A copy of {@code name} this node fetched before this store began, still on disk. */
  private Optional<Layer> earlierCopy(LayerRef name) {
    Map<String, String> index = earlier;
    if (index == null) {
      synchronized (this) {
        if (earlier == null) {
          earlier = copiesOnDisk();
        }
        index = earlier;
      }
    }
    String id = index.get(name.name());
    return id == null
        ? Optional.empty()
        : snapshotter
            .committed(id)
            .filter(layer -> Files.isDirectory(layer.dir(), LinkOption.NOFOLLOW_LINKS));
  }

  /**
   * The committed layers that are copies (an origin file beside them), by the name they were
   * fetched under: read once, so that a restarted node neither fetches again nor hides what it
   * holds. A layer that cannot be read is left out (it is fetched again if needed).
   */
  private Map<String, String> copiesOnDisk() {
    Map<String, String> found = new java.util.HashMap<>();
    List<String> ids;
    try {
      ids = snapshotter.committedIds();
    } catch (IOException e) {
      return found;
    }
    for (String id : ids) {
      try {
        Optional<Layer> layer = snapshotter.committed(id);
        if (layer.isPresent()) {
          origin(layer.get()).ifPresent(ref -> found.put(ref.name(), id));
        }
      } catch (IOException e) {
        // unreadable: not counted as a copy
      }
    }
    return found;
  }

  /** Whether this node holds every layer of {@code ref}: made here, or fetched. */
  boolean holds(SnapshotRef ref) {
    return ref.layers().stream()
        .allMatch(
            layer ->
                layer.node().equals(self)
                    ? snapshotter.committed(layer.id()).isPresent()
                    : copy(layer).isPresent());
  }

  /** The name {@code layer} was fetched under, kept beside it so that it outlives a restart. */
  private Optional<LayerRef> origin(Layer layer) throws IOException {
    LayerRef known = origins.get(layer.id());
    if (known != null) {
      return Optional.of(known);
    }
    Path file = layer.dir().resolveSibling(ORIGIN_FILE);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    Optional<LayerRef> read = LayerRef.parse(Files.readString(file));
    read.ifPresent(ref -> origins.put(layer.id(), ref));
    return read;
  }

  private Layer layer(LayerRef ref, String holder) throws IOException {
    if (ref.node().equals(self)) {
      return snapshotter
          .committed(ref.id())
          .orElseThrow(() -> new IOException("layer " + ref.id() + " is no longer on this node"));
    }
    if (!fetched.containsKey(ref.name())) {
      Optional<Layer> kept = earlierCopy(ref);
      if (kept.isPresent()) {
        return kept.get();
      }
    }
    for (int attempt = 0; ; attempt++) {
      CompletableFuture<Layer> mine = new CompletableFuture<>();
      CompletableFuture<Layer> existing = fetched.putIfAbsent(ref.name(), mine);
      if (existing == null) {
        try {
          Layer layer = fetchFrom(ref, holder);
          origins.put(layer.id(), ref);
          mine.complete(layer);
          return layer;
        } catch (IOException | RuntimeException e) {
          fetched.remove(ref.name(), mine); // a later step may fetch it again
          mine.completeExceptionally(e);
          throw e;
        }
      }
      Layer layer = await(existing);
      if (Files.isDirectory(layer.dir(), LinkOption.NOFOLLOW_LINKS) || attempt == 2) {
        return layer;
      }
      fetched.remove(ref.name(), existing); // collected since: fetch it again
    }
  }

  /**
   * {@code ref} from {@code holder}'s copy when another node holds it, else (or when that fails)
   * from the node that made it.
   */
  private Layer fetchFrom(LayerRef ref, String holder) throws IOException {
    if (holder.equals(ref.node()) || holder.equals(self) || !urls.containsKey(holder)) {
      return fetch(ref, ref.node());
    }
    try {
      return fetch(ref, holder);
    } catch (IOException fromHolder) {
      try {
        return fetch(ref, ref.node());
      } catch (IOException fromMaker) {
        fromMaker.addSuppressed(fromHolder);
        throw fromMaker;
      }
    }
  }

  /** {@code ref} from {@code source}: the node that made it, or one holding a copy. */
  private Layer fetch(LayerRef ref, String source) throws IOException {
    String url = urls.get(source);
    if (url == null) {
      throw new IOException(
          "layer " + ref.id() + " of " + source + ": that node's data address is not known");
    }
    URI uri =
        URI.create(
            source.equals(ref.node())
                ? url + "/v1/layers/" + ref.id()
                : url + "/v1/copies/" + ref.node() + "/" + ref.id());
    HttpResponse<InputStream> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching " + uri, e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException(
            "fetching layer " + ref.id() + " from " + source + ": HTTP " + response.statusCode());
      }
      Digest expected;
      try {
        expected =
            Digest.parse(
                response
                    .headers()
                    .firstValue(DIGEST_HEADER)
                    .orElseThrow(() -> new IllegalArgumentException("no " + DIGEST_HEADER)));
      } catch (IllegalArgumentException e) {
        throw new IOException(
            "fetching layer " + ref.id() + " from " + source + ": " + e.getMessage(), e);
      }
      return unpack(ref, source, body, expected);
    }
  }

  private Layer unpack(LayerRef ref, String source, InputStream body, Digest expected)
      throws IOException {
    ActiveLayer active = snapshotter.prepare();
    try {
      MessageDigest sha = Digest.newSha256();
      CountingStream counted = new CountingStream(body);
      try (InputStream tar = new DigestInputStream(counted, sha)) {
        LayerUnpacker.unpack(tar, active.upper());
        tar.transferTo(OutputStream.nullOutputStream()); // the padding counts in the digest
      } catch (IOException e) {
        throw new IOException("layer " + ref.id() + " from " + source + ": " + e.getMessage(), e);
      }
      Digest actual = Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
      if (!actual.equals(expected)) {
        throw new IOException(
            "layer "
                + ref.id()
                + " from "
                + source
                + " does not match its digest: "
                + expected
                + " was announced, "
                + actual
                + " arrived");
      }
      Files.writeString(active.dir().resolve(ORIGIN_FILE), ref.line());
      Layer layer = snapshotter.commit(active);
      layersFetched.incrementAndGet();
      bytesFetched.addAndGet(counted.count);
      return layer;
    } catch (IOException | RuntimeException e) {
      snapshotter.discard(active);
      throw e;
    }
  }

  private long size(Layer layer) throws IOException {
    Long known = sizes.get(layer.id());
    if (known != null) {
      return known;
    }
    long[] total = {0};
    Files.walkFileTree(
        layer.dir(),
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
              total[0] += attrs.size();
            }
            return FileVisitResult.CONTINUE;
          }
        });
    sizes.put(layer.id(), total[0]);
    return total[0];
  }

  private static Snapshot snapshot(Result result) {
    return ((SnapshotResult) result).snapshot();
  }

  private static Layer await(CompletableFuture<Layer> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while another step fetched the layer", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io
          ? io
          : new IOException(String.valueOf(e.getCause().getMessage()), e.getCause());
    }
  }

  /** Counts the bytes read through it. */
  private static final class CountingStream extends java.io.FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}

package dev.kiln.engine.placement;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.layer.LayerDiffWriter;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.FileIO;

/**
 * Serves this node's committed layers to the other nodes of the cluster: {@code GET /v1/layers/ID}
 * answers the layer as a tar diff (OCI whiteouts), with its sha256 in a header the fetching node
 * checks; {@code GET /v1/copies/NODE/ID} answers a copy this node fetched of another's layer. The
 * tar is written to a file first, for its digest to lead the body.
 */
public final class DataServer extends AllDirectives {
  private final Snapshotter snapshotter;
  private final Path outgoing;
  private final Executor io;
  private final boolean https;
  private ServerBinding binding;
  private volatile java.util.function.Function<LayerRef, Optional<Layer>> copies =
      name -> Optional.empty();

  private DataServer(Snapshotter snapshotter, Path outgoing, Executor io, boolean https) {
    this.snapshotter = snapshotter;
    this.outgoing = outgoing;
    this.io = io;
    this.https = https;
  }

  /**
   * Listens on {@code host} at {@code port} (0: any free port); {@code root} holds the tars being
   * sent.
   */
  public static DataServer start(
      ActorSystem<?> system, Snapshotter snapshotter, Path root, String host, int port, Executor io)
      throws IOException {
    return start(system, snapshotter, root, host, port, io, Optional.empty());
  }

  /** As above, over mutual TLS with {@code tls} when given. */
  public static DataServer start(
      ActorSystem<?> system,
      Snapshotter snapshotter,
      Path root,
      String host,
      int port,
      Executor io,
      Optional<javax.net.ssl.SSLContext> tls)
      throws IOException {
    Path outgoing = root.resolve("cluster").resolve("outgoing");
    if (Files.isDirectory(outgoing)) {
      dev.kiln.engine.snapshot.FileTrees.deleteRecursively(outgoing); // a crash's leftovers
    }
    Files.createDirectories(outgoing);
    DataServer server = new DataServer(snapshotter, outgoing, io, tls.isPresent());
    var builder = Http.get(system).newServerAt(host, port);
    if (tls.isPresent()) {
      javax.net.ssl.SSLContext context = tls.get();
      builder =
          builder.enableHttps(
              org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(
                  () -> {
                    javax.net.ssl.SSLEngine engine = context.createSSLEngine();
                    engine.setUseClientMode(false);
                    engine.setNeedClientAuth(true);
                    return engine;
                  }));
    }
    try {
      server.binding =
          builder.bind(server.routes()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException(
          "cannot serve cluster data on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    return server;
  }

  /** The address other nodes fetch from: {@code http://HOST:PORT}, or https. */
  public String url() {
    var address = binding.localAddress();
    String host = address.getHostString();
    return (https ? "https://" : "http://")
        + (host.contains(":") ? "[" + host + "]" : host)
        + ":"
        + address.getPort();
  }

  /**
   * Serves the copies {@code copies} finds, under the name every copy shares ({@code GET
   * /v1/copies/NODE/ID}): a node that fetched a layer can hand it on once its maker has left.
   */
  void serveCopies(java.util.function.Function<LayerRef, Optional<Layer>> copies) {
    this.copies = copies;
  }

  public CompletionStage<Void> close() {
    return binding.unbind().thenApply(done -> null);
  }

  private Route routes() {
    return pathPrefix(
        "v1",
        () ->
            concat(
                pathPrefix(
                    "layers",
                    () -> path(id -> get(() -> completeWithFuture(send(id, layerOf(id)))))),
                pathPrefix(
                    "copies",
                    () ->
                        pathPrefix(
                            node ->
                                path(
                                    id ->
                                        get(
                                            () ->
                                                completeWithFuture(
                                                    send(node + "/" + id, copyOf(node, id)))))))));
  }

  private Optional<Layer> layerOf(String id) {
    return snapshotter.committed(id);
  }

  private Optional<Layer> copyOf(String node, String id) {
    return LayerRef.parse(node + " " + id + " 0").flatMap(ref -> copies.apply(ref));
  }

  private CompletionStage<HttpResponse> send(String name, Optional<Layer> layer) {
    if (layer.isEmpty()) {
      return CompletableFuture.completedFuture(
          HttpResponse.create()
              .withStatus(StatusCodes.NOT_FOUND)
              .withEntity("no layer " + name + " on this node\n"));
    }
    return CompletableFuture.supplyAsync(() -> tar(layer.get()), io);
  }

  private HttpResponse tar(Layer layer) {
    Path file = outgoing.resolve(java.util.UUID.randomUUID() + ".tar");
    try {
      MessageDigest sha = Digest.newSha256();
      try (OutputStream out =
          new DigestOutputStream(
              new java.io.BufferedOutputStream(Files.newOutputStream(file)), sha)) {
        LayerDiffWriter.write(layer.dir(), out);
      }
      Digest digest = Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
      long size = Files.size(file);
      return HttpResponse.create()
          .addHeader(RawHeader.create(LayerStore.DIGEST_HEADER, digest.toString()))
          .withEntity(
              HttpEntities.create(
                  ContentTypes.APPLICATION_OCTET_STREAM,
                  size,
                  FileIO.fromPath(file)
                      .mapMaterializedValue(
                          done -> done.whenComplete((result, failure) -> delete(file)))));
    } catch (IOException | RuntimeException e) {
      delete(file);
      return HttpResponse.create()
          .withStatus(StatusCodes.INTERNAL_SERVER_ERROR)
          .withEntity("cannot send layer " + layer.id() + ": " + e.getMessage() + "\n");
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Removed with the directory at the next start.
    }
  }
}

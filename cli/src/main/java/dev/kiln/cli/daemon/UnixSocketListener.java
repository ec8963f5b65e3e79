package dev.kiln.cli.daemon;

import dev.kiln.cli.ChannelStreams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.util.ByteString;

/**
 * Pekko HTTP's server over a Unix socket (Pekko HTTP binds only TCP, and Pekko's Unix socket
 * connector is not served here): the JDK's Unix server socket, one accepting thread, and per
 * connection a byte flow joined to Pekko HTTP's own server layer, so parsing, limits and routes are
 * those of the TCP listener. Reads and writes block, on threads of their own. The socket file is
 * made in a private directory and renamed into place once its mode is 0660, so that no one else can
 * connect in between.
 */
final class UnixSocketListener implements AutoCloseable {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final BidiFlow<
          TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed>
      PLAIN = (BidiFlow) TLSPlacebo.getInstance(); // SessionBytes is an SslTlsInbound

  private final ServerSocketChannel server;
  private final Path socket;
  private final SharedKillSwitch connections = KillSwitches.shared("unix-socket-connections");
  private final ExecutorService io =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "kiln-daemon-socket");
            thread.setDaemon(true);
            return thread;
          });

  private UnixSocketListener(ServerSocketChannel server, Path socket) {
    this.server = server;
    this.socket = socket;
  }

  /** Listens on {@code socket} and serves each connection with {@code handler}. */
  static UnixSocketListener start(
      ActorSystem<?> system, Path socket, Flow<HttpRequest, HttpResponse, NotUsed> handler)
      throws IOException {
    Path dir = socket.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      if (answers(socket)) {
        throw new IOException("another daemon listens on " + socket);
      }
      Files.delete(socket); // left by a daemon that crashed
    }
    Path staging =
        Files.createTempDirectory(
            dir,
            ".kiln-sock-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      Path made = staging.resolve("s");
      server.bind(UnixDomainSocketAddress.of(made));
      Files.setPosixFilePermissions(made, PosixFilePermissions.fromString("rw-rw----"));
      Files.move(made, socket, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      server.close();
      throw e;
    } finally {
      Files.deleteIfExists(staging.resolve("s"));
      Files.delete(staging);
    }
    UnixSocketListener listener = new UnixSocketListener(server, socket);
    listener.accept(system, handler);
    return listener;
  }

  private static boolean answers(Path socket) {
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void accept(ActorSystem<?> system, Flow<HttpRequest, HttpResponse, NotUsed> handler) {
    ServerSettings settings = ServerSettings.create(system.classicSystem());
    Duration idle = Duration.ofNanos(settings.getTimeouts().idleTimeout().toNanos());
    BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> http =
        Http.get(system)
            .serverLayer(settings)
            .atop(PLAIN)
            .atop(BidiFlow.<ByteString, ByteString>bidirectionalIdleTimeout(idle));
    Materializer materializer = Materializer.matFromSystem(system);
    Thread acceptor =
        new Thread(
            () -> {
              while (server.isOpen()) {
                SocketChannel channel;
                try {
                  channel = server.accept();
                } catch (ClosedChannelException e) {
                  return;
                } catch (IOException e) {
                  continue; // one failed accept (say, too many open files) is not the end
                }
                handler
                    .join(http)
                    .via(connections.flow())
                    .joinMat(transport(channel), Keep.right())
                    .run(materializer)
                    .whenComplete((done, failure) -> ChannelStreams.closeQuietly(channel));
              }
            },
            "kiln-daemon-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The connection as a flow: what comes out was read, what goes in is written. */
  private Flow<ByteString, ByteString, CompletableFuture<Void>> transport(SocketChannel channel) {
    Source<ByteString, NotUsed> in =
        Source.unfoldAsync(
            channel,
            c ->
                CompletableFuture.supplyAsync(
                    () -> {
                      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
                      try {
                        int n = c.read(buffer);
                        return n < 0
                            ? Optional.<Pair<SocketChannel, ByteString>>empty()
                            : Optional.of(
                                Pair.create(c, ByteString.fromArrayUnsafe(buffer.array(), 0, n)));
                      } catch (IOException e) {
                        throw new UncheckedIOException(e);
                      }
                    },
                    io));
    Sink<ByteString, CompletableFuture<Void>> out =
        Sink.<ByteString>foreachAsync(
                1,
                bytes ->
                    CompletableFuture.runAsync(
                        () -> {
                          try {
                            for (ByteBuffer buffer : bytes.getByteBuffers()) {
                              while (buffer.hasRemaining()) {
                                channel.write(buffer);
                              }
                            }
                          } catch (IOException e) {
                            throw new UncheckedIOException(e);
                          }
                        },
                        io))
            .mapMaterializedValue(done -> done.toCompletableFuture().thenApply(d -> (Void) null));
    // The connection ends when the HTTP side stops writing; closing the channel then ends the
    // pending read.
    return Flow.fromSinkAndSourceMat(out, in, Keep.left());
  }

  /** Stops accepting connections; open ones go on (their builds may still be running). */
  void stopAccepting() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }

  /** Stops accepting, and ends every open connection. */
  @Override
  public void close() throws IOException {
    stopAccepting();
    connections.shutdown();
    io.shutdownNow();
  }
}

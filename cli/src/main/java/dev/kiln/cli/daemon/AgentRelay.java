package dev.kiln.cli.daemon;

import dev.kiln.cli.ChannelStreams;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The daemon's end of a client's ssh agent ({@code kiln build --addr … --ssh ID}): a Unix socket in
 * the build's upload directory that the build's steps mount as their agent. Each connection a step
 * makes waits, under an unguessable id, for the client to open a tunnel to its own agent ({@code
 * POST /v1/builds/BUILD/ssh/CONN}, announced on the build's stream), as BuildKit forwards agent
 * connections over its session; one the client does not claim within a while is closed.
 */
final class AgentRelay implements AutoCloseable {
  /** How long a step's connection waits for its client's tunnel. */
  static final Duration CLAIM_WITHIN = Duration.ofSeconds(30);

  /** A step's connection waiting for its tunnel: of which build, to which agent. */
  record Waiting(String build, String agent, SocketChannel channel) {}

  /** Connections waiting for their client, by connection id; shared by every build. */
  static final class Waitlist {
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    Waitlist(ScheduledExecutorService timer) {
      this.timer = timer;
    }

    String add(Waiting connection) {
      String id = UUID.randomUUID().toString();
      waiting.put(id, connection);
      timer.schedule(
          () ->
              Optional.ofNullable(waiting.remove(id))
                  .ifPresent(w -> ChannelStreams.closeQuietly(w.channel())),
          CLAIM_WITHIN.toMillis(),
          TimeUnit.MILLISECONDS);
      return id;
    }

    /** Takes the connection {@code id} of {@code build}, once. */
    Optional<Waiting> claim(String build, String id) {
      Waiting found = waiting.get(id);
      if (found == null || !found.build().equals(build) || !waiting.remove(id, found)) {
        return Optional.empty();
      }
      return Optional.of(found);
    }
  }

  private final ServerSocketChannel server;

  private AgentRelay(ServerSocketChannel server) {
    this.server = server;
  }

  /**
   * Listens on {@code socket} for the agent {@code agent} of {@code build}: each connection joins
   * {@code waitlist}, and {@code announce} gets its id for the client. Accepts on {@code pool}.
   */
  static AgentRelay start(
      Path socket,
      String build,
      String agent,
      Waitlist waitlist,
      ExecutorService pool,
      Consumer<String> announce)
      throws IOException {
    Files.createDirectories(socket.getParent());
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    // A step may run as any user of its image; the socket's directory is the build's own.
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    AgentRelay relay = new AgentRelay(server);
    pool.execute(
        () -> {
          while (server.isOpen()) {
            try {
              SocketChannel step = server.accept();
              announce.accept(waitlist.add(new Waiting(build, agent, step)));
            } catch (IOException e) {
              return; // closed with the build
            }
          }
        });
    return relay;
  }

  @Override
  public void close() {
    ChannelStreams.closeQuietly(server);
  }
}

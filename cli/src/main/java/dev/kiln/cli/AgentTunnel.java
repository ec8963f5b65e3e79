package dev.kiln.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;

/**
 * The client's end of an ssh agent connection a step made through a daemon: connects to the agent
 * here and joins it to the daemon's side with one HTTP/1.1 exchange whose request body carries what
 * the agent says and whose response body carries what the step says, both as they come.
 */
final class AgentTunnel {
  private AgentTunnel() {}

  /** Joins connection {@code conn} of build {@code build} to the agent at {@code agent}. */
  static void join(DaemonAddress address, String build, String conn, Path agent)
      throws IOException {
    try (SocketChannel local = SocketChannel.open(UnixDomainSocketAddress.of(agent));
        DaemonAddress.Connection daemon = address.connect()) {
      OutputStream up = daemon.out();
      Http1.writeHead(
          up,
          "POST",
          "/v1/builds/" + build + "/ssh/" + conn,
          Map.of("Content-Type", "application/octet-stream"),
          Http1.CHUNKED);
      up.flush();
      Thread answers =
          new Thread(
              () -> {
                try {
                  Http1.Head head = Http1.readHead(new BufferedInputStream(daemon.in(), 1 << 16));
                  if (head.status() == 200) {
                    try (InputStream fromStep = head.body();
                        OutputStream toAgent = ChannelStreams.out(local)) {
                      ChannelStreams.pump(fromStep, toAgent);
                    }
                  }
                } catch (IOException e) {
                  // the step or the daemon went away: the agent's side closes below
                } finally {
                  ChannelStreams.closeQuietly(local);
                }
              },
              "kiln-ssh-tunnel");
      answers.setDaemon(true);
      answers.start();
      try (OutputStream chunks = Http1.chunked(up)) {
        ChannelStreams.pump(ChannelStreams.in(local), chunks);
      } catch (IOException e) {
        // the agent or the daemon closed
      }
      answers.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

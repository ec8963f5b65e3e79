package dev.kiln.tests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the cluster bindings ({@code --cluster-bind}) of the daemons the tests start, which
 * must be named before the daemon binds them. They are taken below the kernel's ephemeral range: a
 * port found free inside it (a socket bound to port 0) could be handed, before the daemon binds it,
 * to any outgoing connection as its local port (the nodes' own, a client's), and the daemon then
 * fails with "Address already in use". Each is handed out once per test run.
 */
public final class ClusterPorts {
  private static final Path EPHEMERAL = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  private static final int LOWEST = 10000;
  private static final Set<Integer> GIVEN = new HashSet<>();

  private ClusterPorts() {}

  /** A port no socket is bound to now, outside the ephemeral range, not handed out before. */
  public static synchronized int next() throws IOException {
    int below = ephemeralStart();
    int from = below - LOWEST > 1000 ? LOWEST : 1024;
    if (below - from < 100) {
      throw new IOException("the ephemeral ports start at " + below + ": too few ports below them");
    }
    for (int tries = 0; tries < 1000; tries++) {
      int port = ThreadLocalRandom.current().nextInt(from, below);
      if (GIVEN.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IOException("no free port between " + from + " and " + below);
  }

  private static boolean bindable(int port) {
    // On every address: some tests bind their nodes to others than loopback.
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The first ephemeral port (Linux's default when the kernel does not say). */
  private static int ephemeralStart() {
    try {
      // Read by lines: Files.readString gets only the first byte of this /proc file.
      return Integer.parseInt(Files.readAllLines(EPHEMERAL).get(0).strip().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32768;
    }
  }
}

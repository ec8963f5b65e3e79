package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.daemon.DaemonServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Every daemon test again over a Unix socket; and what is particular to the socket. */
class DaemonUnixSocketTest extends DaemonTest {
  @Override
  DaemonAddress listenOn() {
    return new DaemonAddress.Unix(temp.resolve("run/kiln/kiln.sock"));
  }

  @Test
  void theSocketIsOnlyForItsOwnerAndGroupAndGoesWithTheDaemon() throws Exception {
    Path socket = ((DaemonAddress.Unix) address).socket();
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    try (var left = Files.list(socket.getParent())) {
      assertEquals(1, left.count(), "the staging directory was left behind");
    }
    server.close();
    assertFalse(Files.exists(socket));
    DaemonHttp.Unreachable gone =
        org.junit.jupiter.api.Assertions.assertThrows(
            DaemonHttp.Unreachable.class, () -> DaemonHttp.get(address, "/v1/info"));
    assertTrue(gone.getMessage().contains("cannot reach the daemon at unix://"), gone.getMessage());
    server = DaemonServer.start(engine, root, address, 1 << 20); // for stop()
  }

  @Test
  void aSecondDaemonOnTheSameSocketIsRefusedAndAStaleSocketIsReplaced() throws Exception {
    java.io.IOException busy =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.io.IOException.class, () -> DaemonServer.start(engine, root, address, 1 << 20));
    assertTrue(busy.getMessage().contains("another daemon listens on"), busy.getMessage());
    assertEquals("v1", DaemonHttp.get(address, "/v1/info").path("api").asText());

    // A socket file left by a daemon that died: nothing answers on it any more.
    Path socket = ((DaemonAddress.Unix) address).socket();
    server.close();
    try (var stale =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      stale.bind(java.net.UnixDomainSocketAddress.of(socket));
    }
    assertTrue(Files.exists(socket));
    server = DaemonServer.start(engine, root, address, 1 << 20);
    assertEquals("v1", DaemonHttp.get(address, "/v1/info").path("api").asText());
  }
}

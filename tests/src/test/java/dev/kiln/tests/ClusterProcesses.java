package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** What the multi-node tests share: free ports, {@code kiln} processes run to their end. */
final class ClusterProcesses {
  private ClusterProcesses() {}

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** A {@code kiln} process run to its end: its exit code and all it printed. */
  static KilnRun process(String... args) throws Exception {
    Process process =
        new ProcessBuilder(DaemonProcess.kiln(args)).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), output);
    return new KilnRun(process.exitValue(), output);
  }

  /** {@code kiln cluster status --format json} of the daemon at {@code address}. */
  static JsonNode status(String address) throws Exception {
    KilnRun run = process("cluster", "status", "--addr", address, "--format", "json");
    assertTrue(run.exit() == 0, run.err());
    return new ObjectMapper().readTree(run.err());
  }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** What the multi-node tests share: nodes, contexts, {@code kiln} processes run to their end. */
final class ClusterProcesses {
  private ClusterProcesses() {}

  /**
   * A daemon on {@code root} with an API on a free loopback port and {@code cluster} options, once
   * it listens (a cluster node once it is Up).
   */
  static DaemonProcess node(java.nio.file.Path root, String... cluster) throws IOException {
    return DaemonProcess.launch(nodeCommand(root, cluster));
  }

  /** The command line of {@link #node}. */
  static java.util.List<String> nodeCommand(java.nio.file.Path root, String... cluster) {
    java.util.List<String> command =
        DaemonProcess.kiln("daemon", "--root", root.toString(), "--addr", "tcp://127.0.0.1:0");
    command.addAll(java.util.List.of(cluster));
    return command;
  }

  /**
   * Roots for coordinators that build on the same base image: busybox tagged in {@code first},
   * which is then copied to each of {@code others} (a tagged image's config has its own time, so
   * that tagging it on each would give them other digests).
   */
  static void coordinatorRoots(java.nio.file.Path first, java.nio.file.Path... others)
      throws Exception {
    DaemonProcess.tagBusybox(first, first.resolveSibling(first.getFileName() + "-scratch"));
    for (java.nio.file.Path other : others) {
      Process copy =
          new ProcessBuilder("cp", "-a", first.toString(), other.toString()).inheritIO().start();
      assertTrue(copy.waitFor() == 0, "cp -a " + first + " " + other);
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

  /** Steps the coordinator at {@code address} placed on the worker {@code node}. */
  static long placedOn(String address, String node) throws Exception {
    for (JsonNode member : status(address).path("members")) {
      if (member.path("address").asText().equals(node)) {
        return member.path("placed").asLong();
      }
    }
    return 0;
  }

  /**
   * A context in {@code dir} of {@code stages} stages that each say "running:yes" (their headers
   * show the command, "running:$(...)"), sleep {@code seconds} and write done-N to /outN, copied
   * into one image.
   */
  static java.nio.file.Path wide(java.nio.file.Path dir, int stages, int seconds)
      throws IOException {
    StringBuilder dockerfile = new StringBuilder();
    for (int i = 0; i < stages; i++) {
      dockerfile.append("FROM busybox AS s").append(i).append('\n');
      dockerfile.append("RUN echo running:$(echo yes) && sleep ").append(seconds);
      dockerfile.append(" && echo done-").append(i).append(" > /out").append(i).append('\n');
    }
    dockerfile.append("FROM busybox\n");
    for (int i = 0; i < stages; i++) {
      dockerfile.append("COPY --from=s").append(i).append(" /out").append(i).append(" /\n");
    }
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.writeString(dir.resolve("Dockerfile"), dockerfile.toString());
    return dir;
  }

  /**
   * A {@code kiln build} of {@code context} through the daemon at {@code address} with plain
   * progress and {@code options}, read line by line as it comes.
   */
  static ClientLines build(String address, java.nio.file.Path context, String... options)
      throws IOException {
    java.util.List<String> command =
        DaemonProcess.kiln("build", "--addr", address, "--progress", "plain");
    command.addAll(java.util.List.of(options));
    command.add(context.toString());
    return ClientLines.start(command);
  }
}

package dev.kiln.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A test host of its own: a network namespace joined to this one by a veth pair on a /30 of
 * 10.250.0.0/16 ({@code ip netns}, {@code ip link}; needs root, as CI has), whose link can be cut
 * and restored. Closing it kills what runs inside and deletes it.
 */
final class NetworkNamespace implements AutoCloseable {
  private final String name;
  private final String hostSide;
  private final String hostAddress;
  private final String innerAddress;

  private NetworkNamespace(String name, String hostSide, String hostAddress, String innerAddress) {
    this.name = name;
    this.hostSide = hostSide;
    this.hostAddress = hostAddress;
    this.innerAddress = innerAddress;
  }

  /** A new namespace with its link up. */
  static NetworkNamespace create() throws IOException, InterruptedException {
    int n = ThreadLocalRandom.current().nextInt(1, 16_000);
    String name = "kiln-test-" + n;
    String hostSide = "kh" + n;
    String innerSide = "kn" + n;
    int base = n * 4;
    String prefix = "10.250." + (base / 256) + ".";
    String hostAddress = prefix + (base % 256 + 1);
    String innerAddress = prefix + (base % 256 + 2);
    NetworkNamespace namespace = new NetworkNamespace(name, hostSide, hostAddress, innerAddress);
    try {
      run("ip", "netns", "add", name);
      run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", innerSide);
      run("ip", "link", "set", innerSide, "netns", name);
      run("ip", "addr", "add", hostAddress + "/30", "dev", hostSide);
      run("ip", "link", "set", hostSide, "up");
      run("ip", "netns", "exec", name, "ip", "addr", "add", innerAddress + "/30", "dev", innerSide);
      run("ip", "netns", "exec", name, "ip", "link", "set", innerSide, "up");
      run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    } catch (IOException | RuntimeException e) {
      namespace.close();
      throw e;
    }
    return namespace;
  }

  /** This host's end of the link: where the namespace reaches the processes of this host. */
  String hostAddress() {
    return hostAddress;
  }

  /** The namespace's own address. */
  String innerAddress() {
    return innerAddress;
  }

  /** {@code command} run inside the namespace. */
  List<String> inside(List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", name));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Cuts the link: nothing passes either way. */
  void cut() throws IOException, InterruptedException {
    run("ip", "link", "set", hostSide, "down");
  }

  /** Restores the link. */
  void restore() throws IOException, InterruptedException {
    run("ip", "link", "set", hostSide, "up");
  }

  @Override
  public void close() throws IOException, InterruptedException {
    Process pids = new ProcessBuilder("ip", "netns", "pids", name).start();
    String listed = new String(pids.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    pids.waitFor(30, TimeUnit.SECONDS);
    for (String pid : listed.split("\\s+")) {
      if (!pid.isEmpty()) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    // Deleting the namespace deletes its end of the veth pair, and so both ends.
    new ProcessBuilder("ip", "netns", "del", name)
        .inheritIO()
        .start()
        .waitFor(30, TimeUnit.SECONDS);
    new ProcessBuilder("ip", "link", "del", hostSide)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(30, TimeUnit.SECONDS);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output);
    }
  }
}

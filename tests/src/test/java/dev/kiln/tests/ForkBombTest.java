package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.HostProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fork bomb in a step (issue 10's attack suite): the step fails at its process limit (a cgroup of
 * its own; as root here), a build beside it on the same daemon succeeds, nothing the bomb started
 * outlives its step, and the daemon builds on.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ForkBombTest {
  /** Forks until it cannot: a bomb with an end, so the test is bounded even if the limit is not. */
  static final String BOMB =
      "FROM busybox\nRUN i=0; while [ $i -lt 5000 ]; do sleep 600 & i=$((i+1)); done\n";

  @TempDir Path temp;

  private Path context(String name, String dockerfile) throws Exception {
    Path context = Files.createDirectories(temp.resolve(name));
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    return context;
  }

  @Test
  void aForkBombFailsItsStepWhileABuildBesideItSucceeds() throws Exception {
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);
    Path bomb = context("bomb", BOMB);
    Path beside =
        context("beside", "FROM busybox\nRUN for i in $(seq 1 50); do echo $i & done; wait\n");
    Path after = context("after", "FROM busybox\nRUN seq 1 100 | wc -l\n");

    try (DaemonProcess daemon =
        DaemonProcess.launch(
            DaemonProcess.kiln("daemon", "--root", root.toString(), "--addr", "tcp://127.0.0.1:0"),
            Map.of("KILN_STEP_PIDS", "64"))) {
      String addr = daemon.address();
      CompletableFuture<KilnAs.Result> bombing =
          CompletableFuture.supplyAsync(() -> build(addr, bomb));
      KilnAs.Result besideRun = build(addr, beside);
      KilnAs.Result bombRun = bombing.join();
      KilnAs.Result afterRun = build(addr, after);

      assertEquals(1, bombRun.exit(), bombRun.output());
      assertTrue(
          bombRun.output().contains("the step reached its limit of 64 processes"),
          bombRun.output());
      assertTrue(bombRun.output().contains("can't fork"), bombRun.output());
      assertEquals(0, besideRun.exit(), besideRun.output());
      assertEquals(0, afterRun.exit(), afterRun.output());
      assertTrue(afterRun.output().contains("100"), afterRun.output());
      assertTrue(daemon.isAlive());
      assertEquals(
          List.of(),
          HostProcesses.withArgv("sleep 600"),
          "nothing the bomb started outlives its step");
    }
  }

  /** A client of the daemon at {@code addr} in a JVM of its own, so that two run at once. */
  private static KilnAs.Result build(String addr, Path context) {
    try {
      return KilnAs.run(
          DaemonProcess.kiln("build", "--addr", addr, "--progress", "plain", context.toString()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}

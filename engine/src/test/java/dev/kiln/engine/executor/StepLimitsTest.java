package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steps under {@code kiln.step-limits}, in real sandboxes with real cgroups (the tests run as
 * root).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StepLimitsTest {
  @TempDir Path tempDir;
  Snapshotter snapshotter;
  Snapshot rootfs;
  List<String> lines = Collections.synchronizedList(new ArrayList<>());
  RunContext context = new RunContext((stream, line) -> lines.add(line), new Cancellation());
  List<BwrapExecutor> executors = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    snapshotter = TestLayers.snapshotter(tempDir);
    rootfs = new Snapshot(List.of(TestLayers.busybox(snapshotter)));
  }

  @AfterEach
  void closeExecutors() {
    executors.forEach(BwrapExecutor::close);
  }

  private void run(StepLimits limits, String script) throws Exception {
    BwrapExecutor executor = new BwrapExecutor(snapshotter, limits);
    executors.add(executor);
    executor.run(
        new ExecSpec(
            List.of("sh", "-c", script),
            List.of(),
            "/",
            "",
            NetworkMode.NONE,
            SecurityMode.SANDBOX),
        rootfs,
        snapshotter.prepare(),
        context);
  }

  /** Kiln's step cgroups under this JVM's own pids cgroup (v1 here). */
  private static List<Path> stepCgroups() throws IOException {
    Path kiln = Path.of("/sys/fs/cgroup/pids/kiln-" + ProcessHandle.current().pid());
    if (!Files.isDirectory(kiln)) {
      return List.of();
    }
    try (var dirs = Files.list(kiln)) {
      return dirs.filter(Files::isDirectory).toList();
    }
  }

  @Test
  void aForkBombFailsItsStepAtThePidsLimitAndLeavesNothingRunning() throws Exception {
    ExecException e =
        assertThrows(
            ExecException.class,
            () ->
                run(
                    new StepLimits(40, 0, 0),
                    "i=0; while [ $i -lt 1000 ]; do sleep 600 & i=$((i+1)); done"));

    assertTrue(
        e.getMessage().contains("the step reached its limit of 40 processes"), e.getMessage());
    assertTrue(String.join("\n", lines).contains("can't fork"), lines.toString());
    assertEquals(List.of(), stepCgroups(), "the step's cgroup is gone, and all it ran");
    assertTrue(
        ProcessHandle.allProcesses()
            .noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 600")),
        "no process of the bomb outlives its step");
  }

  @Test
  void aStepOverItsMemoryLimitIsKilledAndTheErrorSaysSo() {
    ExecException e =
        assertThrows(
            ExecException.class,
            () ->
                run(
                    new StepLimits(0, 32L << 20, 0),
                    // tail -c keeps what it must print: 96 MiB of anonymous memory.
                    "head -c 100663296 /dev/zero | tail -c 100663296 > /dev/null"));

    assertTrue(
        e.getMessage().contains("the step ran out of memory: its limit is 32 MiB"), e.getMessage());
  }

  @Test
  void openFilesAndUnlimitedStepsRunAsConfigured() throws Exception {
    run(new StepLimits(4096, 0, 1024), "ulimit -n; sleep 0 & wait");
    run(StepLimits.NONE, "ulimit -n");

    assertEquals("1024", lines.get(0));
    assertTrue(Integer.parseInt(lines.get(1)) > 1024, lines.toString());
  }
}

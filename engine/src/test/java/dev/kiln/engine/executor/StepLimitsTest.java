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
import dev.kiln.engine.testing.HostProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Steps under {@code kiln.step-limits}, in real sandboxes of each executor with real cgroups (the
 * tests run as root).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StepLimitsTest {
  @TempDir Path tempDir;
  Snapshotter snapshotter;
  Snapshot rootfs;
  List<String> lines = Collections.synchronizedList(new ArrayList<>());
  RunContext context = new RunContext((stream, line) -> lines.add(line), new Cancellation());
  List<Executor> executors = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    snapshotter = TestLayers.snapshotter(tempDir);
    rootfs = new Snapshot(List.of(TestLayers.busybox(snapshotter)));
  }

  @AfterEach
  void closeExecutors() {
    executors.forEach(Executor::close);
  }

  private void run(String sandbox, StepLimits limits, String script) throws Exception {
    Executor executor =
        sandbox.equals("crun")
            ? new CrunExecutor(snapshotter, limits, false)
            : new BwrapExecutor(snapshotter, limits);
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

  @ParameterizedTest
  @ValueSource(strings = {"bwrap", "crun"})
  void aForkBombFailsItsStepAtThePidsLimitAndLeavesNothingRunning(String sandbox) throws Exception {
    ExecException e =
        assertThrows(
            ExecException.class,
            () ->
                run(
                    sandbox,
                    new StepLimits(40, 0, 0),
                    "i=0; while [ $i -lt 1000 ]; do sleep 600 & i=$((i+1)); done"));

    assertTrue(
        e.getMessage().contains("the step reached its limit of 40 processes"), e.getMessage());
    assertTrue(String.join("\n", lines).contains("can't fork"), lines.toString());
    assertEquals(List.of(), stepCgroups(), "the step's cgroup is gone, and all it ran");
    assertEquals(
        List.of(), HostProcesses.withArgv("sleep 600"), "no process of the bomb outlives its step");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bwrap", "crun"})
  void aStepOverItsMemoryLimitIsKilledAndTheErrorSaysSo(String sandbox) {
    ExecException e =
        assertThrows(
            ExecException.class,
            () ->
                run(
                    sandbox,
                    new StepLimits(0, 32L << 20, 0),
                    // tail -c keeps what it must print: 96 MiB of anonymous memory.
                    "head -c 100663296 /dev/zero | tail -c 100663296 > /dev/null"));

    assertTrue(
        e.getMessage().contains("the step ran out of memory: its limit is 32 MiB"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"bwrap", "crun"})
  void openFilesAndUnlimitedStepsRunAsConfigured(String sandbox) throws Exception {
    run(sandbox, new StepLimits(4096, 0, 1024), "ulimit -n; sleep 0 & wait");
    run(sandbox, StepLimits.NONE, "ulimit -n");

    assertEquals("1024", lines.get(0));
    assertTrue(Integer.parseInt(lines.get(1)) > 1024, lines.toString());
  }
}

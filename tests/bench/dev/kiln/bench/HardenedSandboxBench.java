package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.executor.StepLimits;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's per-step cost of the hardened sandbox (seccomp through the host shell, /proc read-only
 * with its masks) against the plain one, and of the default step limits (a cgroup of the step's
 * own, rlimits) on top, in the same run: a step that runs {@code true}, every time anew, as a
 * sandboxed step and as an insecure one (which gets neither). Goal: under 2 ms.
 */
class HardenedSandboxBench {
  @TempDir Path temp;

  @Test
  void theHardenedSandboxCostsLittleAStep() throws Exception {
    State busybox = State.source(BusyboxLayout.identifier());
    Definition hardened = busybox.run("true").definition().ignoringCache();
    Definition plain =
        busybox.run(List.of(), SecurityMode.INSECURE, List.of("true")).definition().ignoringCache();
    BuildInputs granted = BuildInputs.NONE.withEntitlements(Set.of("security.insecure"));
    List<Double> plainTimes = new ArrayList<>();
    List<Double> hardenedTimes = new ArrayList<>();
    List<Double> limitedTimes = new ArrayList<>();
    List<Double> cgroupTimes = new ArrayList<>();
    // Three engines: no step limits at all, the default ones (kiln.step-limits), and a process
    // limit (each step in a pids cgroup of its own).
    try (Engine unlimited =
            Engine.start(EngineConfig.at(temp.resolve("plain")).withStepLimits(StepLimits.NONE));
        Engine defaults = Engine.start(EngineConfig.at(temp.resolve("defaults")));
        Engine pids =
            Engine.start(
                EngineConfig.at(temp.resolve("pids")).withStepLimits(new StepLimits(2048, 0, 0)))) {
      for (Engine engine : List.of(unlimited, defaults, pids)) {
        Benchmarks.solve(engine, busybox.definition()); // the base unpacked once, untimed
      }
      for (int i = 0; i < 41; i++) {
        plainTimes.add(time(unlimited, plain, granted));
        hardenedTimes.add(time(unlimited, hardened, granted));
        limitedTimes.add(time(defaults, hardened, granted));
        cgroupTimes.add(time(pids, hardened, granted));
      }
    }
    double base = Benchmarks.median(plainTimes);
    double cost = Benchmarks.median(hardenedTimes);
    double withDefaults = Benchmarks.median(limitedTimes);
    double withCgroup = Benchmarks.median(cgroupTimes);
    Benchmarks.report("one step, plain sandbox (insecure), median of 41 (baseline)", base, base);
    Benchmarks.report("one step, hardened sandbox (seccomp, /proc masked)", cost, base);
    Benchmarks.report("one step, hardened, default step limits (open files)", withDefaults, base);
    Benchmarks.report("one step, hardened, 2048 processes (own pids cgroup)", withCgroup, base);
    Benchmarks.reportMillis("hardening, per step (goal < 2 ms)", (cost - base) * 1000);
    Benchmarks.reportMillis(
        "hardening with default step limits, per step", (withDefaults - base) * 1000);
    Benchmarks.reportMillis("a pids cgroup per step, on top", (withCgroup - cost) * 1000);
  }

  private static double time(Engine engine, Definition definition, BuildInputs inputs)
      throws Exception {
    long start = System.nanoTime();
    Outcome outcome =
        engine
            .start(definition, inputs, e -> {})
            .outcome()
            .toCompletableFuture()
            .get(1, TimeUnit.MINUTES);
    assertTrue(outcome instanceof Outcome.Solved, String.valueOf(outcome));
    return Benchmarks.seconds(start);
  }
}

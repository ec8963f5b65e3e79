package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.executor.SandboxSettings;
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
 * Issue 10's per-step cost of the hardened sandbox (seccomp, /proc read-only with its masks)
 * against the plain one, for each executor, and of step limits on top, in the same run: a step that
 * runs {@code true}, every time anew, as a sandboxed step and as an insecure one (which gets
 * neither). Goal: under 2 ms. Also crun (the default: no_new_privs off) against bwrap.
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
    SandboxSettings bwrap = new SandboxSettings(SandboxSettings.Kind.BWRAP, true);
    SandboxSettings crun = new SandboxSettings(SandboxSettings.Kind.CRUN, false);
    List<Double> plainTimes = new ArrayList<>();
    List<Double> hardenedTimes = new ArrayList<>();
    List<Double> limitedTimes = new ArrayList<>();
    List<Double> cgroupTimes = new ArrayList<>();
    List<Double> crunPlainTimes = new ArrayList<>();
    List<Double> crunTimes = new ArrayList<>();
    // bwrap without step limits, with the default ones (kiln.step-limits) and with a process limit
    // (each step in a pids cgroup of its own); crun, the default executor, with the default limits.
    try (Engine unlimited =
            Engine.start(
                EngineConfig.at(temp.resolve("plain"))
                    .withStepLimits(StepLimits.NONE)
                    .withSandbox(bwrap));
        Engine defaults =
            Engine.start(EngineConfig.at(temp.resolve("defaults")).withSandbox(bwrap));
        Engine pids =
            Engine.start(
                EngineConfig.at(temp.resolve("pids"))
                    .withStepLimits(new StepLimits(2048, 0, 0))
                    .withSandbox(bwrap));
        Engine crunEngine = Engine.start(EngineConfig.at(temp.resolve("crun")).withSandbox(crun))) {
      for (Engine engine : List.of(unlimited, defaults, pids, crunEngine)) {
        Benchmarks.solve(engine, busybox.definition()); // the base unpacked once, untimed
      }
      for (int i = 0; i < 41; i++) {
        plainTimes.add(time(unlimited, plain, granted));
        hardenedTimes.add(time(unlimited, hardened, granted));
        limitedTimes.add(time(defaults, hardened, granted));
        cgroupTimes.add(time(pids, hardened, granted));
        crunPlainTimes.add(time(crunEngine, plain, granted));
        crunTimes.add(time(crunEngine, hardened, granted));
      }
    }
    double base = Benchmarks.median(plainTimes);
    double cost = Benchmarks.median(hardenedTimes);
    double withDefaults = Benchmarks.median(limitedTimes);
    double withCgroup = Benchmarks.median(cgroupTimes);
    double crunBase = Benchmarks.median(crunPlainTimes);
    double crunCost = Benchmarks.median(crunTimes);
    Benchmarks.report(
        "one step, bwrap, plain sandbox (insecure), median of 41 (baseline)", base, base);
    Benchmarks.report("one step, bwrap, hardened sandbox (seccomp, /proc masked)", cost, base);
    Benchmarks.report(
        "one step, bwrap, hardened, default step limits (open files)", withDefaults, base);
    Benchmarks.report(
        "one step, bwrap, hardened, 2048 processes (own pids cgroup)", withCgroup, base);
    Benchmarks.report("one step, crun, plain sandbox (insecure)", crunBase, base);
    Benchmarks.report(
        "one step, crun (the default), hardened, default step limits", crunCost, base);
    Benchmarks.reportMillis("bwrap hardening, per step (goal < 2 ms)", (cost - base) * 1000);
    Benchmarks.reportMillis("crun hardening, per step (goal < 2 ms)", (crunCost - crunBase) * 1000);
    Benchmarks.reportMillis(
        "bwrap hardening with default step limits, per step", (withDefaults - base) * 1000);
    Benchmarks.reportMillis("a pids cgroup per step, on top", (withCgroup - cost) * 1000);
    Benchmarks.reportMillis(
        "crun (no_new_privs off) against bwrap, both hardened with default limits, per step",
        (crunCost - withDefaults) * 1000);
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

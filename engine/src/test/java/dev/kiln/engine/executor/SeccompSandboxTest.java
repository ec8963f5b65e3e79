package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seccomp filter in a real step: a static program (built with the host's gcc) makes each
 * refused call with zero arguments and reports its errno. Every one fails with EPERM; {@code
 * unshare(0)}, which needs no capability and otherwise succeeds, shows it is the filter's doing; so
 * does a call of the x32 ABI. Run under each executor.
 */
class SeccompSandboxTest {
  private static final String PROBE =
      "#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n"
          + "int main(int argc, char **argv) {\n"
          + "  for (int i = 1; i < argc; i++) {\n"
          + "    long nr = strtol(argv[i], 0, 10);\n"
          + "    errno = 0;\n"
          + "    long r = syscall(nr, 0, 0, 0, 0, 0, 0);\n"
          + "    printf(\"%ld %d\\n\", nr, r == -1 ? errno : 0);\n"
          + "  }\n"
          + "  return 0;\n"
          + "}\n";
  private static final int EPERM = 1;
  private static final int GETPID = 39;
  private static final int X32 = 0x40000000;

  @TempDir Path temp;

  /** Every executor's steps, crun's through its BPF annotation. */
  static List<String> executors() {
    return List.of("bwrap", "crun");
  }

  @ParameterizedTest
  @MethodSource("executors")
  void everyRefusedCallFailsWithEpermInAStepAndOthersWork(String sandbox) throws Exception {
    Snapshotter snapshotter = TestLayers.snapshotter(Files.createDirectories(temp.resolve("root")));
    Snapshot rootfs =
        new Snapshot(
            List.of(
                TestLayers.busybox(snapshotter),
                StaticProgram.layer(snapshotter, temp, "probe", PROBE, "0755")));
    List<String> args =
        new ArrayList<>(
            List.of("/probe", Integer.toString(GETPID), Integer.toString(X32 | GETPID)));
    SeccompFilter.REFUSED.values().forEach(nr -> args.add(Integer.toString(nr)));
    List<String> lines = Collections.synchronizedList(new ArrayList<>());

    Executor executor =
        sandbox.equals("crun")
            ? new CrunExecutor(snapshotter, StepLimits.NONE, false)
            : new BwrapExecutor(snapshotter);
    try {
      executor.run(
          new ExecSpec(args, List.of(), "/", "", NetworkMode.NONE, SecurityMode.SANDBOX),
          rootfs,
          snapshotter.prepare(),
          new RunContext((stream, line) -> lines.add(line), new Cancellation()));
    } finally {
      executor.close();
    }

    Map<Integer, Integer> errnos = new TreeMap<>();
    for (String line : lines) {
      String[] fields = line.split(" ");
      errnos.put(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]));
    }
    assertEquals(0, errnos.get(GETPID), "an allowed call works: " + lines);
    assertEquals(EPERM, errnos.get(X32 | GETPID), "another ABI's call is refused: " + lines);
    Map<Integer, Integer> notRefused = new TreeMap<>();
    SeccompFilter.REFUSED.forEach(
        (name, nr) -> {
          if (errnos.getOrDefault(nr, -1) != EPERM) {
            notRefused.put(nr, errnos.getOrDefault(nr, -1));
          }
        });
    assertEquals(Map.of(), notRefused, "refused calls that did not fail with EPERM: " + lines);
    assertEquals(SeccompFilter.REFUSED.size() + 2, errnos.size(), lines.toString());
  }
}

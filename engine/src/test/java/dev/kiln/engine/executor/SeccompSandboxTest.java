package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seccomp filter in a real step: a static program (built with the host's gcc) makes each
 * refused call with zero arguments and reports its errno. Every one fails with EPERM; {@code
 * unshare(0)}, which needs no capability and otherwise succeeds, shows it is the filter's doing.
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

  @TempDir Path temp;

  @Test
  void everyRefusedCallFailsWithEpermInAStepAndOthersWork() throws Exception {
    Path source = Files.writeString(temp.resolve("probe.c"), PROBE);
    Process gcc =
        new ProcessBuilder(
                "gcc", "-static", "-O1", "-o", temp.resolve("probe").toString(), source.toString())
            .redirectErrorStream(true)
            .start();
    String gccSaid = new String(gcc.getInputStream().readAllBytes());
    assertTrue(gcc.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, gcc.exitValue(), gccSaid);
    Snapshotter snapshotter = TestLayers.snapshotter(Files.createDirectories(temp.resolve("root")));
    ActiveLayer probeLayer = snapshotter.prepare();
    Files.copy(
        temp.resolve("probe"),
        probeLayer.upper().resolve("probe"),
        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    Snapshot rootfs =
        new Snapshot(List.of(TestLayers.busybox(snapshotter), snapshotter.commit(probeLayer)));
    List<String> args = new ArrayList<>(List.of("/probe", Integer.toString(GETPID)));
    SeccompFilter.REFUSED.values().forEach(nr -> args.add(Integer.toString(nr)));
    List<String> lines = Collections.synchronizedList(new ArrayList<>());

    new BwrapExecutor(snapshotter)
        .run(
            new ExecSpec(args, List.of(), "/", "", NetworkMode.NONE, SecurityMode.SANDBOX),
            rootfs,
            snapshotter.prepare(),
            new RunContext((stream, line) -> lines.add(line), new Cancellation()));

    Map<Integer, Integer> errnos = new TreeMap<>();
    for (String line : lines) {
      String[] fields = line.split(" ");
      errnos.put(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]));
    }
    assertEquals(0, errnos.get(GETPID), "an allowed call works: " + lines);
    Map<Integer, Integer> notRefused = new TreeMap<>();
    SeccompFilter.REFUSED.forEach(
        (name, nr) -> {
          if (errnos.getOrDefault(nr, -1) != EPERM) {
            notRefused.put(nr, errnos.getOrDefault(nr, -1));
          }
        });
    assertEquals(Map.of(), notRefused, "refused calls that did not fail with EPERM: " + lines);
    assertEquals(SeccompFilter.REFUSED.size() + 1, errnos.size(), lines.toString());
  }
}

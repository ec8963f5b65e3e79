package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.placedOn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds submitted to two coordinators share a step (issue 11): it runs once in the cluster,
 * and both builds get the same output.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterSharedStepTest {
  @TempDir Path temp;

  /** A context whose first step is shared (random output) and whose second is the build's own. */
  private Path context(String name) throws Exception {
    Path context = Files.createDirectories(temp.resolve("context-" + name));
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox\n"
            + "RUN echo sharing:$(echo yes) && sleep 3"
            + " && head -c 16 /dev/urandom | od -An -tx1 > /shared\n"
            + "RUN echo "
            + name
            + " > /own\n");
    return context;
  }

  private static ClientLines build(DaemonProcess coordinator, Path out, Path context)
      throws Exception {
    return ClusterProcesses.build(
        coordinator.address(), context, "--output", "type=local,dest=" + out);
  }

  @Test
  void twoCoordinatorsThatShareAStepRunItOnce() throws Exception {
    String a = "127.0.0.1:" + ClusterPorts.next();
    String b = "127.0.0.1:" + ClusterPorts.next();
    String c = "127.0.0.1:" + ClusterPorts.next();
    ClusterProcesses.coordinatorRoots(temp.resolve("a"), temp.resolve("c"));

    try (DaemonProcess coordinatorA =
            ClusterProcesses.node(temp.resolve("a"), "--cluster-bind", a, "--role", "coordinator");
        DaemonProcess worker =
            ClusterProcesses.node(
                temp.resolve("b"),
                "--cluster-bind",
                b,
                "--join",
                a,
                "--role",
                "worker",
                "--slots",
                "2");
        DaemonProcess coordinatorC =
            ClusterProcesses.node(
                temp.resolve("c"), "--cluster-bind", c, "--join", a, "--role", "coordinator")) {
      Path outOne = temp.resolve("out-one");
      Path outTwo = temp.resolve("out-two");
      ClientLines one = build(coordinatorA, outOne, context("one"));
      one.await("sharing:yes");
      ClientLines two = build(coordinatorC, outTwo, context("two"));
      int exitOne = one.exit();
      int exitTwo = two.exit();

      assertEquals(0, exitOne, one.shown());
      assertEquals(0, exitTwo, two.shown());
      String shared = Files.readString(outOne.resolve("shared"));
      assertEquals(
          shared,
          Files.readString(outTwo.resolve("shared")),
          "the same run's output: " + one.shown() + "\n----\n" + two.shown());
      assertEquals(List.of("one"), Files.readAllLines(outOne.resolve("own")));
      assertEquals(List.of("two"), Files.readAllLines(outTwo.resolve("own")));
      assertTrue(
          two.shown().contains("run by another build of the cluster; its output is held by " + b),
          two.shown());
      assertEquals(
          3,
          placedOn(coordinatorA.address(), b) + placedOn(coordinatorC.address(), b),
          "the shared step once, and each build's own step");
    }
  }
}

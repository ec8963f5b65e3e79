package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.fault.CrashPoint;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build given several daemons ({@code kiln build --addr A,C}, as a cluster's coordinators) goes
 * to the next when the first is not there before it has taken the build: nothing listens at its
 * address, or it died before it told the client the build's id. Real daemons throughout.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NextAddressTest {
  @TempDir Path temp;

  private Path context() throws Exception {
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(
        context.resolve("Dockerfile"), "FROM busybox\nCOPY app.txt /app.txt\nRUN cat /app.txt\n");
    Files.writeString(context.resolve("app.txt"), "the app\n");
    return context;
  }

  /** {@code kiln build --addr addresses} of the context into an OCI archive at {@code image}. */
  private KilnRun build(String addresses, Path image) throws Exception {
    return KilnRun.of(
        "build",
        "--addr",
        addresses,
        "--progress",
        "plain",
        "--build-context",
        "busybox=" + BusyboxLayout.identifier(),
        "--output",
        "type=oci,dest=" + image,
        context().toString());
  }

  @Test
  void aBuildWhoseFirstDaemonIsNotThereGoesToTheNext() throws Exception {
    String first = "unix://" + temp.resolve("nobody.sock");
    String next = "unix://" + temp.resolve("c.sock");
    Path image = temp.resolve("image.tar");
    try (DaemonProcess other = DaemonProcess.start(temp.resolve("c"), next)) {
      KilnRun run = build(first + "," + next, image);
      String shown = run.out() + run.err();
      assertEquals(0, run.exit(), shown);
      assertTrue(
          shown.contains("cannot reach the daemon at " + first)
              && shown.contains("sending the build to " + next),
          shown);
      assertTrue(shown.contains("the app"), shown);
    }
    HostTools.check("skopeo", "inspect", "oci-archive:" + image);
  }

  @Test
  void noneOfTheDaemonsThereIsAClearError() throws Exception {
    String first = "unix://" + temp.resolve("nobody.sock");
    String next = "unix://" + temp.resolve("nobody-either.sock");
    KilnRun run = build(first + "," + next, temp.resolve("image.tar"));
    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("error: cannot reach the daemon at " + next), run.err());
    assertTrue(Files.notExists(temp.resolve("image.tar")));
  }

  /**
   * The first daemon dies once it has the build's upload, before it has told its client the build's
   * id (crash point {@value CrashPoint#BUILD_UPLOADED}), and is not started again: the client,
   * finding it gone, sends the build to the next, and gets its result there.
   */
  @Test
  void aBuildWhoseDaemonDiesBeforeItToldTheIdGoesToTheNext() throws Exception {
    String first = "unix://" + temp.resolve("a.sock");
    String next = "unix://" + temp.resolve("c.sock");
    Path image = temp.resolve("image.tar");
    DaemonProcess crashing =
        DaemonProcess.launch(
            DaemonProcess.kiln("daemon", "--root", temp.resolve("a").toString(), "--addr", first),
            Map.of(CrashPoint.VARIABLE, CrashPoint.BUILD_UPLOADED));
    try (crashing;
        DaemonProcess other = DaemonProcess.start(temp.resolve("c"), next)) {
      KilnRun run = build(first + "," + next, image);
      assertEquals(137, crashing.awaitExit(), "the first daemon crashed");
      String shown = run.out() + run.err();
      assertEquals(0, run.exit(), shown);
      assertTrue(shown.contains("lost the daemon before it told the build's id"), shown);
      assertTrue(
          shown.contains(first + " did not come back before it told the build's id: on to " + next),
          shown);
      assertTrue(shown.contains("the app"), shown);
    }
    HostTools.check("skopeo", "inspect", "oci-archive:" + image);
  }
}

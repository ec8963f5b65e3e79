package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.fault.CrashPoint;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.engine.testing.RegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 8's kills at chosen points: a daemon dies (as SIGKILL, {@code KILN_CRASH_AT}) during a
 * layer's unpacking, a blob's write, a cache record's write, an export, a push; it is started again
 * on the same root, its client reattaches and gets the right result, and {@code kiln check} finds
 * the root clean.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashPointTest {
  private static RegistryServer registry;

  @TempDir Path temp;

  @BeforeAll
  static void start() throws Exception {
    registry = RegistryServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    registry.close();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        CrashPoint.LAYER_UNPACK,
        CrashPoint.BLOB_WRITE,
        CrashPoint.RECORD_WRITE,
        CrashPoint.EXPORT,
        CrashPoint.PUSH
      })
  void aDaemonKilledAtThisPointFinishesTheBuildWhenItComesBack(String point) throws Exception {
    // A fresh root, busybox sent by the client as a layout: the daemon unpacks its layer itself.
    Path root = temp.resolve("root");
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(
        context.resolve("Dockerfile"),
        "FROM busybox\nCOPY app.txt /app.txt\nRUN cat /app.txt > /copy\n");
    Files.writeString(context.resolve("app.txt"), "the app\n");
    String address = "unix://" + temp.resolve("kiln.sock");
    List<String> output =
        point.equals(CrashPoint.PUSH)
            ? List.of("-t", registry.host() + "/crash:" + point, "--push")
            : List.of("--output", "type=oci,dest=" + temp.resolve("image.tar"));
    List<String> args =
        new ArrayList<>(
            List.of(
                "build",
                "--addr",
                address,
                "--progress",
                "plain",
                "--build-context",
                "busybox=" + BusyboxLayout.identifier()));
    args.addAll(output);
    args.add(context.toString());

    DaemonProcess crashing =
        DaemonProcess.launch(
            DaemonProcess.kiln("daemon", "--root", root.toString(), "--addr", address),
            Map.of(CrashPoint.VARIABLE, point));
    Process client =
        new ProcessBuilder(DaemonProcess.kiln(args.toArray(String[]::new)))
            .redirectErrorStream(true)
            .start();
    client.getOutputStream().close();
    StringBuilder shown = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try {
                shown.append(
                    new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
              } catch (java.io.IOException e) {
                shown.append("(reading the client failed: ").append(e).append(')');
              }
            });
    reader.start();
    assertEquals(137, crashing.awaitExit(), "the daemon crashed at " + point);
    try (DaemonProcess again = DaemonProcess.start(root, address)) {
      assertTrue(client.waitFor(3, TimeUnit.MINUTES), "the client did not end");
      reader.join();
      assertEquals(0, client.exitValue(), point + ":\n" + shown);
      // It reattached by the build's id, or found its build by its submission when the daemon died
      // before it had told the id.
      assertTrue(
          shown.toString().contains("reattaching to build")
              || shown.toString().contains("asking it again"),
          point + ":\n" + shown);
    }
    if (point.equals(CrashPoint.PUSH)) {
      HostTools.check(
          "skopeo",
          "inspect",
          "--tls-verify=false",
          "docker://" + registry.host() + "/crash:" + point);
    } else {
      HostTools.check("skopeo", "inspect", "oci-archive:" + temp.resolve("image.tar"));
    }
    KilnRun check = KilnRun.of("check", "--root", root.toString());
    assertEquals(0, check.exit(), point + ": " + check.out() + check.err());
  }
}

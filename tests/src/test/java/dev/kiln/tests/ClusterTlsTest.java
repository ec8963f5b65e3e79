package dev.kiln.tests;

import static dev.kiln.tests.ClusterProcesses.process;
import static dev.kiln.tests.ClusterProcesses.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster with mutual TLS between its nodes (issue 11), its certificates made by the production
 * example's {@code gen-certs.sh}: steps are placed and layers move over TLS; a node without TLS,
 * with another CA's certificate, or with half the TLS files is refused at start with a clear error,
 * and the cluster is unharmed.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterTlsTest {
  @TempDir Path temp;

  private Path certificates(String name) throws Exception {
    Path dir = temp.resolve(name);
    Process script =
        new ProcessBuilder(
                BusyboxLayout.repositoryRoot()
                    .resolve("cluster-config/production/gen-certs.sh")
                    .toString(),
                dir.toString(),
                "tested",
                "127.0.0.1")
            .redirectErrorStream(true)
            .start();
    String said = new String(script.getInputStream().readAllBytes());
    assertTrue(script.waitFor(2, TimeUnit.MINUTES) && script.exitValue() == 0, said);
    return dir;
  }

  private static List<String> tls(Path certs) {
    return List.of(
        "--cluster-tls-cert",
        certs.resolve("127.0.0.1.crt").toString(),
        "--cluster-tls-key",
        certs.resolve("127.0.0.1.key").toString(),
        "--cluster-ca",
        certs.resolve("cluster-ca.crt").toString());
  }

  private DaemonProcess node(String name, List<String> tls, String... cluster) throws Exception {
    List<String> options = new ArrayList<>(List.of(cluster));
    options.addAll(tls);
    return ClusterProcesses.node(temp.resolve(name), options.toArray(String[]::new));
  }

  /** A node that cannot get in: its exit code and output. */
  private KilnRun refused(String seed, List<String> tls) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "daemon",
                "--root",
                temp.resolve("refused").toString(),
                "--addr",
                "tcp://127.0.0.1:0",
                "--cluster-bind",
                "127.0.0.1:" + ClusterPorts.next(),
                "--join",
                seed,
                "--role",
                "worker",
                "--join-timeout",
                "4s"));
    args.addAll(tls);
    return process(args.toArray(String[]::new));
  }

  @Test
  void stepsRunAndLayersMoveOverTlsAndNodesWithoutItsTrustAreRefused() throws Exception {
    Path certs = certificates("certs");
    Path otherCa = certificates("other");
    String a = "127.0.0.1:" + ClusterPorts.next();
    DaemonProcess.tagBusybox(temp.resolve("a"), temp.resolve("scratch"));
    Path context = Files.createDirectories(temp.resolve("context"));
    Files.writeString(
        context.resolve("Dockerfile"), "FROM busybox\nRUN echo over-tls-$((6 * 7)) > /proof\n");

    try (DaemonProcess coordinator =
            node("a", tls(certs), "--cluster-bind", a, "--role", "coordinator");
        DaemonProcess worker =
            node(
                "b",
                tls(certs),
                "--cluster-bind",
                "127.0.0.1:" + ClusterPorts.next(),
                "--join",
                a,
                "--role",
                "worker",
                "--slots",
                "2")) {
      KilnRun build =
          process(
              "build",
              "--addr",
              coordinator.address(),
              "--progress",
              "plain",
              "--output",
              "type=local,dest=" + temp.resolve("out"),
              context.toString());
      KilnRun plain = refused(a, List.of());
      KilnRun stranger = refused(a, tls(otherCa));
      JsonNode status = status(coordinator.address());

      assertEquals(0, build.exit(), build.err());
      assertEquals("over-tls-42\n", Files.readString(temp.resolve("out/proof")));
      assertTrue(
          status(worker.address()).path("fetched").path("layers").asLong() >= 1,
          "the worker fetched the base over HTTPS");
      assertEquals(1, plain.exit(), plain.err());
      assertTrue(
          plain.err().contains("a seed that uses TLS does not answer a node without it"),
          plain.err());
      assertEquals(1, stranger.exit(), stranger.err());
      assertTrue(stranger.err().contains("error: could not join the cluster"), stranger.err());
      assertTrue(stranger.err().contains("use TLS with this node's CA"), stranger.err());
      assertEquals(2, status.path("members").size(), status.toString());
    }
  }

  @Test
  void halfTheTlsFilesOrABadOneAreRefusedBeforeAnythingStarts() throws Exception {
    Path certs = certificates("certs");
    Path bad = Files.writeString(temp.resolve("bad.crt"), "not a certificate\n");
    String bind = "127.0.0.1:" + ClusterPorts.next();

    KilnRun half =
        KilnRun.of(
            "daemon",
            "--root",
            temp.resolve("r").toString(),
            "--cluster-bind",
            bind,
            "--cluster-tls-cert",
            certs.resolve("127.0.0.1.crt").toString());
    KilnRun broken =
        KilnRun.of(
            "daemon",
            "--root",
            temp.resolve("r").toString(),
            "--cluster-bind",
            bind,
            "--cluster-tls-cert",
            bad.toString(),
            "--cluster-tls-key",
            certs.resolve("127.0.0.1.key").toString(),
            "--cluster-ca",
            certs.resolve("cluster-ca.crt").toString());

    assertEquals(1, half.exit(), half.err());
    assertTrue(
        half.err().contains("--cluster-tls-cert, --cluster-tls-key and --cluster-ca go together"),
        half.err());
    assertEquals(1, broken.exit(), broken.err());
    assertTrue(broken.err().contains(bad + ": no PEM certificate"), broken.err());
  }
}

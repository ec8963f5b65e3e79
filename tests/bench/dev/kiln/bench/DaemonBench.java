package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.tests.DaemonProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as users run it, all real processes: {@code kiln daemon}, and {@code kiln build
 * --addr} clients each in a JVM of their own. Figures: the fully cached seed build end to end
 * against the JVM start of {@code kiln --version}; the daemon's resident memory idle and at its
 * peak during the 64-stage wide build.
 */
class DaemonBench {
  @TempDir Path temp;

  @Test
  void cachedSeedThroughTheDaemonAndTheDaemonsMemory() throws Exception {
    Path root = temp.resolve("root");
    DaemonProcess.tagBusybox(root, temp);

    try (DaemonProcess daemon =
        DaemonProcess.start(root, "unix://" + temp.resolve("run/kiln.sock"))) {
      String address = daemon.address();
      long idle = rss(daemon.pid());
      Path seed = BusyboxLayout.repositoryRoot().resolve("examples/seed");
      Benchmarks.KilnProcess cold =
          Benchmarks.kiln("build", "--addr", address, "--progress", "plain", seed.toString());
      assertEquals(0, cold.exit(), cold.output());
      double jvm = Benchmarks.kiln("--version").seconds();
      Benchmarks.KilnProcess cached =
          Benchmarks.kiln("build", "--addr", address, "--progress", "plain", seed.toString());
      assertEquals(0, cached.exit(), cached.output());
      assertTrue(
          !cached.output().contains(" DONE") && cached.output().contains(" CACHED"),
          cached.output());

      // A context of 2,000 files (40 MB): sent whole the first time, then only what changed.
      Path context = Files.createDirectories(temp.resolve("context"));
      java.util.Random random = new java.util.Random(42);
      for (int i = 0; i < 2_000; i++) {
        byte[] data = new byte[20_000];
        random.nextBytes(data);
        Path file = context.resolve("d" + i % 20).resolve("f" + i);
        Files.createDirectories(file.getParent());
        Files.write(file, data);
      }
      Files.writeString(
          context.resolve("Dockerfile"), "FROM busybox\nCOPY . /ctx\nRUN cat /ctx/d0/f0 | wc -c\n");
      Benchmarks.KilnProcess first =
          Benchmarks.kiln("build", "--addr", address, "--progress", "plain", context.toString());
      assertEquals(0, first.exit(), first.output());
      Files.writeString(context.resolve("d0/f0"), "changed\n");
      Benchmarks.KilnProcess changed =
          Benchmarks.kiln("build", "--addr", address, "--progress", "plain", context.toString());
      assertEquals(0, changed.exit(), changed.output());
      assertTrue(changed.output().contains(" 8\n"), changed.output());

      Path wide = Files.createDirectories(temp.resolve("wide"));
      StringBuilder dockerfile = new StringBuilder();
      for (int i = 0; i < 64; i++) {
        dockerfile.append("FROM busybox AS s").append(i).append('\n');
        dockerfile.append("RUN mkdir -p /out && echo ").append(i).append(" > /out/").append(i);
        dockerfile.append('\n');
      }
      dockerfile.append("FROM busybox\n");
      for (int i = 0; i < 64; i++) {
        dockerfile.append("COPY --from=s").append(i).append(" /out /out\n");
      }
      Files.writeString(wide.resolve("Dockerfile"), dockerfile.toString());
      AtomicLong peak = new AtomicLong();
      AtomicBoolean building = new AtomicBoolean(true);
      // Sampling, not synchronisation: the peak of resident memory while the build runs.
      Thread sampler =
          new Thread(
              () -> {
                while (building.get()) {
                  peak.accumulateAndGet(rss(daemon.pid()), Math::max);
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sampler.start();
      Benchmarks.KilnProcess busy =
          Benchmarks.kiln("build", "--addr", address, "--progress", "quiet", wide.toString());
      building.set(false);
      sampler.join();
      assertEquals(0, busy.exit(), busy.output());

      Benchmarks.report("baseline: kiln --version (JVM start)", jvm, jvm);
      Benchmarks.report(
          "examples/seed all cached, kiln build --addr unix://, new JVM", cached.seconds(), jvm);
      Benchmarks.report(
          "context 2,000 files 40 MB via daemon, first build (all sent)", first.seconds(), jvm);
      Benchmarks.report("same context, one file changed (one file sent)", changed.seconds(), jvm);
      Benchmarks.reportMemory("daemon resident memory, idle (goal <= 150 MiB)", idle);
      Benchmarks.reportMemory(
          "daemon resident memory, 64-stage wide build (goal <= 600 MiB)", peak.get());
      assertEquals(143, daemon.stop(), "the daemon did not stop gracefully on SIGTERM");
    }
  }

  /** Resident memory of a process, in bytes (0 once it is gone). */
  private static long rss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
    } catch (java.io.IOException e) {
      return 0;
    }
    return 0;
  }
}

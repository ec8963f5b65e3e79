package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.testing.BusyboxLayout;
import dev.kiln.tests.KilnAs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's wide (64 independent steps) and deep (a chain of 100) Dockerfiles, built with {@code
 * kiln build --no-cache} in a new process each time, as root and as the unprivileged user {@code
 * kiln-rootless} (a user namespace with subordinate ids), alternately: the rootless cost is the
 * ratio of the medians. Asserts only that the builds succeed.
 */
class RootlessBench {
  private static final int RUNS = 5;

  @Test
  void wideAndDeepGraphsRootlessAgainstRootful() throws Exception {
    assertTrue(KilnAs.exists("kiln-rootless"), "run scripts/test-users.sh as root");
    // Not a JUnit temporary directory: those are private to root, and the user must reach it.
    Path dir = Files.createTempDirectory("kiln-rootless-bench-");
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path launcher = KilnAs.copyLauncher(Files.createDirectories(dir.resolve("kiln")));
      Path busybox = dir.resolve("busybox");
      copyTree(BusyboxLayout.path(), busybox);
      KilnAs root = KilnAs.root(launcher, dir.resolve("home-root"), Map.of());
      KilnAs user = KilnAs.user(launcher, "kiln-rootless", dir.resolve("home-user"), Map.of());
      String base = "busybox=oci-layout://" + busybox + ":latest";

      StringBuilder wide = new StringBuilder();
      StringBuilder last = new StringBuilder("FROM busybox\n");
      for (int i = 0; i < 64; i++) {
        wide.append("FROM busybox AS s")
            .append(i)
            .append("\nRUN echo ")
            .append(i)
            .append(" > /w\n");
        last.append("COPY --from=s").append(i).append(" /w /w").append(i).append('\n');
      }
      Path wideContext = context(dir, "wide", wide.append(last).toString());
      StringBuilder deep = new StringBuilder("FROM busybox\n");
      for (int i = 0; i < 100; i++) {
        deep.append("RUN echo ").append(i).append(" >> /chain\n");
      }
      Path deepContext = context(dir, "deep", deep.toString());
      Path oneContext = context(dir, "one", "FROM busybox\nRUN echo 1 > /one\n");

      for (KilnAs as : List.of(root, user)) {
        build(as, base, oneContext); // the base unpacked once per root, untimed
      }
      for (Path context : List.of(oneContext, wideContext, deepContext)) {
        List<Double> rootful = new ArrayList<>();
        List<Double> rootless = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
          rootful.add(build(root, base, context));
          rootless.add(build(user, base, context));
        }
        double baseline = Benchmarks.median(rootful);
        double cost = Benchmarks.median(rootless);
        String shape = context.getFileName().toString();
        Benchmarks.report(
            shape + ": rootful, kiln build --no-cache, median of " + RUNS, baseline, baseline);
        System.out.printf(
            Locale.ROOT,
            "BENCH %-58s %7.3f s  (%.3fx rootful)%n",
            shape + ": rootless (subordinate ids)",
            cost,
            cost / baseline);
      }
    } finally {
      FileTrees.deleteRecursively(dir);
    }
  }

  private static Path context(Path dir, String name, String dockerfile) throws Exception {
    Path context = Files.createDirectories(dir.resolve(name));
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    return context;
  }

  /** Seconds one {@code kiln build} took, start to end (a new JVM). */
  private static double build(KilnAs as, String base, Path context) throws Exception {
    long start = System.nanoTime();
    KilnAs.Result run =
        as.kiln(
            "build",
            "--no-cache",
            "--progress",
            "quiet",
            "--build-context",
            base,
            context.toString());
    double seconds = Benchmarks.seconds(start);
    assertEquals(0, run.exit(), run.output());
    return seconds;
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
  }
}

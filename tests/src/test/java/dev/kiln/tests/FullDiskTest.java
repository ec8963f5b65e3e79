package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root on a full disk (a 64 MiB tmpfs the test mounts; CI runs as root): a build that fills it
 * fails with an error that says so and names its step, nothing else is lost, the root checks clean,
 * and once space is freed the same root builds again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FullDiskTest {
  @TempDir Path temp;
  private Path disk;

  @BeforeEach
  void mount() throws Exception {
    disk = Files.createDirectories(temp.resolve("disk"));
    run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", disk.toString());
  }

  @AfterEach
  void unmount() throws Exception {
    run("umount", "-l", disk.toString());
  }

  private static void run(String... argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), String.join(" ", argv) + ": " + out);
  }

  private KilnRun build(Path root, Path context) throws Exception {
    return KilnRun.of(
        "build",
        "--root",
        root.toString(),
        "--progress",
        "plain",
        "--build-context",
        "busybox=" + BusyboxLayout.identifier(),
        context.toString());
  }

  @Test
  void aBuildThatFillsTheDiskFailsSayingSoAndTheRootStaysSound() throws Exception {
    Path root = disk.resolve("root");
    Path small = Files.createDirectories(temp.resolve("small"));
    Files.writeString(small.resolve("Dockerfile"), "FROM busybox\nRUN echo small > /small\n");
    KilnRun first = build(root, small);
    assertEquals(0, first.exit(), first.err());

    Path big = Files.createDirectories(temp.resolve("big"));
    Files.writeString(
        big.resolve("Dockerfile"),
        "FROM busybox\nRUN dd if=/dev/zero of=/big bs=1M count=200 && echo wrote\n");
    KilnRun full = build(root, big);
    assertEquals(1, full.exit(), full.err());
    assertTrue(full.err().contains("No space left on device"), full.err());
    assertTrue(full.err().contains("RUN dd if=/dev/zero"), "the step is named: " + full.err());
    assertTrue(
        full.err().contains("hint: the disk of " + root + " is full")
            && full.err().contains("kiln prune"),
        "what to do: " + full.err());

    KilnRun check = KilnRun.of("check", "--root", root.toString());
    assertEquals(0, check.exit(), check.out() + check.err());
    KilnRun again = build(root, small);
    assertEquals(0, again.exit(), again.err());
    assertTrue(again.err().contains("CACHED"), "the earlier build's cache is kept: " + again.err());
  }
}

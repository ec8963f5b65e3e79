package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on Kiln from what a build gives it (issue 10), one test per class; each must be refused
 * or confined, and the engine left healthy. Started with entitlements: the Dockerfile frontend's
 * check is not the only one, so a definition or a frontend cannot bypass it (a frontend's case is
 * in {@link GatewayFrontendTest}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AttackSuiteTest {
  /** A step with every capability, in the JSON form; needs no image (it is refused first). */
  static final String INSECURE_STEP =
      "{\"vertices\":[{\"id\":\"s\",\"op\":{\"type\":\"source\",\"identifier\":\"scratch\"}},"
          + "{\"id\":\"x\",\"op\":{\"type\":\"exec\",\"args\":[\"true\"],\"security\":\"insecure\"},"
          + "\"inputs\":[{\"vertex\":\"s\"}]}],\"root\":{\"vertex\":\"x\"}}";

  @TempDir Path temp;

  @Test
  void aDefinitionCannotTakeAnEntitlementTheBuildWasNotGranted() throws Exception {
    Path graph = temp.resolve("graph.json");
    Files.writeString(graph, INSECURE_STEP);

    KilnRun refused =
        KilnRun.of(
            "build", "--root", temp.resolve("root").toString(), "--definition", graph.toString());
    KilnRun unknown =
        KilnRun.of(
            "build",
            "--root",
            temp.resolve("root").toString(),
            "--allow",
            "everything",
            "--definition",
            graph.toString());

    assertEquals(1, refused.exit(), refused.err());
    assertTrue(
        refused.err().contains("security.insecure is not allowed: pass --allow security.insecure"),
        refused.err());
    assertEquals(1, unknown.exit(), unknown.err());
    assertTrue(
        unknown.err().contains("--allow: unknown entitlement \"everything\""), unknown.err());
  }

  /**
   * {@code kiln build} of {@code dockerfile} in this test's context, on busybox, into {@code out}.
   */
  private KilnRun build(String dockerfile, Path out) throws Exception {
    Path context = temp.resolve("context");
    Files.createDirectories(context);
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    return KilnRun.of(
        "build",
        "--root",
        temp.resolve("root").toString(),
        "--progress",
        "plain",
        "--build-context",
        "busybox=" + dev.kiln.engine.testing.BusyboxLayout.identifier(),
        "--output",
        "type=local,dest=" + out,
        context.toString());
  }

  @Test
  void devEntriesSymlinkedOutByTheImageChangeNothing() throws Exception {
    Path dev = Files.createDirectories(temp.resolve("context/dev"));
    Files.createSymbolicLink(dev.resolve("null"), Path.of("/etc/passwd"));

    KilnRun run =
        build(
            "FROM busybox\nCOPY dev /dev\n"
                + "RUN echo pwned > /dev/null && ! grep -q pwned /etc/passwd && echo > /clean\n",
            temp.resolve("out"));

    // The step's /dev is the sandbox's own: the write went to the null device.
    assertEquals(0, run.exit(), run.err());
    assertTrue(Files.exists(temp.resolve("out/clean")), run.err());
    assertTrue(!Files.readString(Path.of("/etc/passwd")).contains("pwned"));
  }

  @Test
  void aWorkdirInProcSelfFdReachesNoDescriptorOfTheHost() throws Exception {
    // CVE-2024-21626: runc leaked a host directory descriptor that WORKDIR /proc/self/fd/N reached.
    KilnRun run = build("FROM busybox\nWORKDIR /proc/self/fd/7\nRUN ls\n", temp.resolve("out"));
    KilnRun after = build("FROM busybox\nRUN echo fine > /fine\n", temp.resolve("after"));

    assertEquals(1, run.exit(), run.err());
    assertTrue(run.err().contains("Can't chdir to /proc/self/fd/7"), run.err());
    assertEquals(0, after.exit(), after.err());
    assertEquals("fine\n", Files.readString(temp.resolve("after/fine")));
  }
}

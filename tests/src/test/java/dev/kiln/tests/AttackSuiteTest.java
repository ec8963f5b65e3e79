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
}

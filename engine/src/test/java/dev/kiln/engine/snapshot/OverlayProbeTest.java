package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayProbeTest {
  @TempDir Path root;

  @Test
  void rememberedSuccessSkipsTheProbeUntilTheNextBoot() throws IOException {
    // A file where the snapshots directory belongs makes any real probe fail.
    Files.writeString(root.resolve("snapshots"), "not a directory");
    Files.writeString(root.resolve("overlay-probe"), "overlay works; boot boot-1\n");

    assertTrue(OverlayProbe.works(root, Optional.of("boot-1")));
    assertFalse(OverlayProbe.works(root, Optional.of("boot-2")));
    assertEquals("overlay works; boot boot-1\n", Files.readString(root.resolve("overlay-probe")));
  }

  @Test
  void successIsRememberedForThisBootOnly() throws IOException {
    boolean works = OverlayProbe.works(root, Optional.of("boot-1"));

    assertEquals(works, Files.exists(root.resolve("overlay-probe")));
    assertEquals(works, OverlayProbe.works(root, Optional.of("boot-1")));
  }

  @Test
  void withoutABootIdEveryStartProbes() throws IOException {
    OverlayProbe.works(root, Optional.empty());

    assertFalse(Files.exists(root.resolve("overlay-probe")));
  }
}

package dev.kiln.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayFormatTest {
  @TempDir Path tempDir;

  @Test
  void whiteoutsAreCreatedInProcess() throws IOException {
    Path a = tempDir.resolve("a");
    Path b = tempDir.resolve("b");

    OverlayFormat.createWhiteouts(List.of(a, b));

    assertTrue(OverlayFormat.isWhiteout(a));
    assertTrue(OverlayFormat.isWhiteout(b));
  }

  @Test
  void existingPathFailsNamingIt() {
    IOException e =
        assertThrows(IOException.class, () -> OverlayFormat.createWhiteouts(List.of(tempDir)));

    assertTrue(e.getMessage().contains(tempDir + ": File exists"), e.getMessage());
  }
}

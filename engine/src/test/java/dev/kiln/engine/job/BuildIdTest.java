package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuildIdTest {
  @Test
  void idsSortByTheirTimeAndKeepIt() {
    BuildId early = BuildId.at(1_700_000_000_000L);
    BuildId late = BuildId.at(1_700_000_000_001L);
    assertEquals(26, early.value().length());
    assertTrue(early.value().compareTo(late.value()) < 0);
    assertEquals(1_700_000_000_000L, early.millis());
    assertEquals(1_700_000_000_001L, late.millis());
  }

  @Test
  void idsOfTheSameMillisecondDiffer() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      seen.add(BuildId.at(5).value());
    }
    assertEquals(10_000, seen.size());
  }

  @Test
  void parsingIsCaseInsensitiveAndRefusesAnythingElse() {
    BuildId id = BuildId.next();
    assertEquals(id, BuildId.parse(id.value().toLowerCase(Locale.ROOT)));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> BuildId.parse("../../etc/passwd"))
            .getMessage()
            .contains("not a build id"));
    assertThrows(IllegalArgumentException.class, () -> BuildId.parse(id.value() + "0"));
    assertThrows(
        IllegalArgumentException.class, () -> BuildId.parse("U" + id.value().substring(1)));
    String hostile =
        assertThrows(IllegalArgumentException.class, () -> BuildId.parse("x".repeat(10_000) + "\n"))
            .getMessage();
    assertFalse(hostile.contains("\n"));
    assertTrue(hostile.length() < 100, hostile);
  }
}

package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KilnCommandTest {
  @Test
  void onlyCommandsThatStartAnEngineLoadItsConfigurationEarly() {
    assertTrue(KilnCommand.startsAnEngine(new String[] {"build", "."}, null));
    assertTrue(KilnCommand.startsAnEngine(new String[] {"daemon"}, null));
    assertTrue(KilnCommand.startsAnEngine(new String[] {"prune", "--all"}, ""));
    assertFalse(
        KilnCommand.startsAnEngine(new String[] {"build", "--addr", "tcp://x:1", "."}, null));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"build", "--addr=tcp://x:1", "."}, null));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"build", "."}, "tcp://127.0.0.1:8787"));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"du"}, "tcp://127.0.0.1:8787"));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"prune", "--addr", "tcp://x:1"}, null));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"builds"}, null));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"cancel", "01ABC"}, null));
    assertFalse(KilnCommand.startsAnEngine(new String[] {"--version"}, null));
    assertFalse(KilnCommand.startsAnEngine(new String[] {}, null));
  }
}

package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
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

  @Test
  void aCommandLineNamingASubcommandModelsThatOneAloneAndAnyOtherModelsAll() {
    assertEquals(Set.of("build"), KilnCommand.commandLine("build", ".").getSubcommands().keySet());
    assertEquals(Set.of("cancel"), KilnCommand.commandLine("cancel").getSubcommands().keySet());
    Set<String> all = KilnCommand.commandLine().getSubcommands().keySet();
    assertTrue(
        all.containsAll(Set.of("build", "daemon", "builds", "cancel", "du", "prune", "help")));
    assertEquals(all, KilnCommand.commandLine("help", "build").getSubcommands().keySet());
    assertEquals(all, KilnCommand.commandLine("buidl").getSubcommands().keySet());
    assertEquals(all, KilnCommand.commandLine("--help").getSubcommands().keySet());
    assertEquals(all, KilnCommand.commandLine().getSubcommands().keySet());
  }

  @Test
  void aMistypedSubcommandIsStillRefusedWithTheWholeListToChooseFrom() {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    picocli.CommandLine line = KilnCommand.commandLine("buidl");
    line.setErr(new java.io.PrintWriter(err, true));
    assertEquals(2, line.execute("buidl"));
    assertTrue(err.toString().contains("Did you mean: kiln build"), err.toString());
  }

  @Test
  void helpShowsTheUsageOfTheSubcommandItNames() {
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine line = KilnCommand.commandLine("help", "build");
    line.setOut(new java.io.PrintWriter(out, true));
    assertEquals(0, line.execute("help", "build"));
    assertTrue(out.toString().contains("Usage: kiln build"), out.toString());
    assertTrue(out.toString().contains("--addr"), out.toString());
  }
}

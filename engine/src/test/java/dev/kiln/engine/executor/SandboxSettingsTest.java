package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class SandboxSettingsTest {
  private static SandboxSettings parse(String text) {
    return SandboxSettings.from(
        ConfigFactory.parseString(text).withFallback(ConfigFactory.defaultReference()).resolve());
  }

  @Test
  void theDefaultIsAutoWithNoNewPrivsOffAsInBuildKit() {
    assertEquals(SandboxSettings.DEFAULT, parse(""));
  }

  @Test
  void anExecutorIsNamedInAnyCase() {
    assertEquals(
        new SandboxSettings(SandboxSettings.Kind.BWRAP, true),
        parse("kiln.executor = \" Bwrap \"\nkiln.security.no-new-privs = true"));
  }

  @Test
  void anUnknownExecutorNamesTheSettingAndTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parse("kiln.executor = runc"));

    assertEquals(
        "kiln.executor (KILN_EXECUTOR) is \"runc\": it must be auto, bwrap or crun",
        e.getMessage());
  }
}

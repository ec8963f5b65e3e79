package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TextsTest {
  @Test
  void controlAndInvisibleCharactersAreEscaped() {
    assertEquals("a\\x0d\\x0ab\\x00", Texts.excerpt("a\r\nb\0"));
    assertEquals("evil\\u202etxt.exe", Texts.excerpt("evil\u202etxt.exe"));
    assertEquals("line\\u2028break", Texts.excerpt("line\u2028break"));
    assertEquals("café ok", Texts.excerpt("café ok"));
  }

  @Test
  void longTextIsCutAndSaysHowLongItWas() {
    String shown = Texts.excerpt("x".repeat(10_000));

    assertTrue(shown.startsWith("x".repeat(120) + "…"), shown);
    assertTrue(shown.endsWith("(10000 characters)"), shown);
  }
}

package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class GlobPatternTest {
  private static boolean matches(String glob, String path) {
    return GlobPattern.compile(glob).matches(path);
  }

  @Test
  void dockersDialect() {
    assertTrue(matches("*.log", "a.log"));
    assertFalse(matches("*.log", "dir/a.log"), "* stops at a slash");
    assertTrue(matches("**/*.log", "a.log"), "**/ matches no directory");
    assertTrue(matches("**/*.log", "x/y/a.log"));
    assertTrue(matches("a/**/b", "a/b"));
    assertTrue(matches("a/**/b", "a/x/y/b"));
    assertFalse(matches("a/**/b", "a/xb"));
    assertTrue(matches("a/**", "a/x/y"));
    assertTrue(matches("?.txt", "a.txt"));
    assertFalse(matches("?", "/"));
    assertTrue(matches("[a-c]x", "bx"));
    assertFalse(matches("[!a-c]x", "bx"));
    assertTrue(matches("[^a-c]x", "dx"));
    assertTrue(matches("\\*", "*"));
    assertFalse(matches("\\*", "a"));
    assertTrue(matches("[ab", "[ab"), "an unclosed class is literal");
  }

  /** Takes seconds on a backtracking matcher; here it is as quick as any other match. */
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void patternsThatMakeBacktrackingExplodeMatchInLinearTime() {
    String path = "a".repeat(20_000);
    assertFalse(matches("*a*a*a*a*a*a*a*a*a*a*a*a*b", path));
    assertFalse(matches("**a**a**a**a**a**a**a**a**b", path));
    assertTrue(matches("*a*a*a*a*a*a*a*a*a*a*a*a", path));
  }

  /** The matcher agrees with the regular expression the previous implementation built. */
  @Property(tries = 3000)
  void agreesWithTheRegexTranslation(@ForAll("globs") String glob, @ForAll("paths") String path) {
    assertEquals(
        Pattern.compile(toRegex(glob)).matcher(path).matches(),
        matches(glob, path),
        () -> glob + " against " + path);
  }

  @Provide
  Arbitrary<String> globs() {
    return Arbitraries.of("a", "b", "/", "*", "**", "**/", "?", "[ab]", "[!a]", "\\*")
        .list()
        .ofMaxSize(6)
        .map(parts -> String.join("", parts));
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.strings().withChars("ab/*").ofMaxLength(8);
  }

  /** The translation Kiln used before (kept as the oracle). */
  private static String toRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    int n = glob.length();
    for (int i = 0; i < n; i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < n && glob.charAt(i + 1) == '*') {
          while (i + 1 < n && glob.charAt(i + 1) == '*') {
            i++;
          }
          if (i + 1 < n && glob.charAt(i + 1) == '/') {
            i++;
            regex.append(i + 1 < n ? "(.*/)?" : ".*");
          } else {
            regex.append(".*");
          }
        } else {
          regex.append("[^/]*");
        }
      } else if (c == '?') {
        regex.append("[^/]");
      } else if (c == '[' && glob.indexOf(']', i + 2) >= 0) {
        int close = glob.indexOf(']', i + 2);
        String body = glob.substring(i + 1, close);
        boolean negated = body.startsWith("!") || body.startsWith("^");
        regex
            .append(negated ? "[^" : "[")
            .append(
                Pattern.quote(negated ? body.substring(1) : body)
                    .replace("\\Q", "")
                    .replace("\\E", ""))
            .append(']');
        i = close;
      } else if (c == '\\' && i + 1 < n) {
        i++;
        regex.append(Pattern.quote(String.valueOf(glob.charAt(i))));
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return regex.toString();
  }
}

package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Any word, escape character and environment is expanded, or rejected with a message quoting the
 * word: never another exception. Seeds: {@code ShellLexFuzzTestInputs/expand/}: an optional {@code
 * # escape=`} line, {@code NAME=value} lines and a blank line, then the word.
 */
class ShellLexFuzzTest {
  private static final String BACKTICK = "# escape=`\n";

  @FuzzTest
  void expand(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    boolean backtick = text.startsWith(BACKTICK);
    ShellLex lex = new ShellLex(backtick ? '`' : '\\');
    text = backtick ? text.substring(BACKTICK.length()) : text;
    int blank = text.indexOf("\n\n");
    Map<String, String> env = new HashMap<>();
    if (blank >= 0) {
      for (String line : text.substring(0, blank).split("\n")) {
        int eq = line.indexOf('=');
        env.put(eq < 0 ? line : line.substring(0, eq), eq < 0 ? "" : line.substring(eq + 1));
      }
    }
    String word = text.substring(blank < 0 ? 0 : blank + 2);
    try {
      lex.processWord(word, env);
      lex.processWords(word, env);
    } catch (ShellExpansionException e) {
      assertTrue(e.getMessage().startsWith("failed to process \"" + word + "\": "), e.getMessage());
    }
  }
}

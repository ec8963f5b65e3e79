package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShellLexTest {
  private static final Map<String, String> ENV =
      Map.of("FILE", "dir/sub/name.tar.gz", "EMPTY", "", "V", "aXbXc", "SP", "a  b");
  private final ShellLex lex = new ShellLex('\\');

  private String expand(String word) {
    return lex.processWord(word, ENV);
  }

  @Test
  void aPatternOfManyStarsMatchesInLinearTime() {
    String stars = "*".repeat(40);
    Map<String, String> env = Map.of("V", "a".repeat(200));
    assertEquals("a".repeat(200), lex.processWord("${V//" + stars + "b/x}", env));
    assertEquals("a".repeat(199), lex.processWord("${V#" + stars + "a}", env));
  }

  @Test
  void prefixRemovalTakesShortestOrLongestMatch() {
    assertEquals("sub/name.tar.gz", expand("${FILE#*/}"));
    assertEquals("name.tar.gz", expand("${FILE##*/}"));
  }

  @Test
  void suffixRemovalTakesShortestOrLongestMatch() {
    assertEquals("dir/sub/name.tar", expand("${FILE%.*}"));
    assertEquals("dir/sub/name", expand("${FILE%%.*}"));
  }

  @Test
  void aPatternThatDoesNotMatchLeavesTheValue() {
    assertEquals("dir/sub/name.tar.gz", expand("${FILE#x*}"));
    assertEquals("", expand("${UNSET%%*}"));
  }

  @Test
  void patternsSupportQuestionMarksClassesAndEscapes() {
    assertEquals("r/sub/name.tar.gz", expand("${FILE#d?}"));
    assertEquals("ir/sub/name.tar.gz", expand("${FILE#[a-d]}"));
    assertEquals("a*b", lex.processWord("${S#\\*}", Map.of("S", "*a*b")));
  }

  @Test
  void replacementReplacesFirstOrAllMatches() {
    assertEquals("a-bXc", expand("${V/X/-}"));
    assertEquals("a-b-c", expand("${V//X/-}"));
    assertEquals("a", expand("${V/X*/}"));
  }

  @Test
  void unsetAndEmptyAreDistinguishedWithoutAColon() {
    assertEquals("", expand("${EMPTY-default}"));
    assertEquals("default", expand("${EMPTY:-default}"));
    assertEquals("set", expand("${EMPTY+set}"));
    assertEquals("", expand("${EMPTY:+set}"));
  }

  @Test
  void questionMarkFailsWithTheGivenMessage() {
    ShellExpansionException e =
        assertThrows(ShellExpansionException.class, () -> expand("${NOPE?must be set}"));
    assertTrue(e.getMessage().contains("NOPE: must be set"), e.getMessage());
    assertTrue(
        assertThrows(ShellExpansionException.class, () -> expand("${EMPTY:?}"))
            .getMessage()
            .contains("EMPTY: is not allowed to be empty"));
  }

  @Test
  void errorsNameTheWordAndTheProblem() {
    assertEquals(
        "failed to process \"'abc\": unexpected end of statement while looking for matching"
            + " single-quote",
        assertThrows(ShellExpansionException.class, () -> expand("'abc")).getMessage());
    assertTrue(
        assertThrows(ShellExpansionException.class, () -> expand("${}"))
            .getMessage()
            .endsWith("bad substitution"));
    assertTrue(
        assertThrows(ShellExpansionException.class, () -> expand("${V:#x}"))
            .getMessage()
            .contains("unsupported modifier (:#)"));
  }

  @Test
  void wordSplittingHappensOnlyOnUnquotedExpansion() {
    assertEquals(List.of("a", "b"), lex.processWords("$SP", ENV));
    assertEquals(List.of("a  b"), lex.processWords("\"$SP\"", ENV));
    assertEquals("a  b", lex.processWord("$SP", ENV));
  }

  @Test
  void backtickIsTheEscapeWhenConfigured() {
    ShellLex windows = new ShellLex('`');
    assertEquals("$V c:\\dir", windows.processWord("`$V c:\\dir", ENV));
  }

  @Test
  void expansionIsPureAndDoesNotAssign() {
    Map<String, String> env = new HashMap<>(ENV);
    assertEquals("x", lex.processWord("${NEW:-x}", env));
    assertEquals(ENV, env);
  }
}

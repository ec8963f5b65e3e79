package dev.kiln.engine.fileop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.fileop.PathPatterns.InvalidPatternException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PathPatternsTest {
  private static PathPatterns of(String... patterns) {
    return PathPatterns.of(List.of(patterns));
  }

  @Test
  void starAndQuestionMarkStayWithinOneComponent() {
    PathPatterns p = of("*.txt", "a?c");
    assertTrue(p.matches("notes.txt"));
    assertFalse(p.matches("dir/notes.md"));
    assertTrue(p.matches("abc"));
    assertFalse(p.matches("abbc"));
  }

  @Test
  void aMatchedDirectoryCoversEverythingBelowIt() {
    PathPatterns p = of("build");
    assertTrue(p.matches("build"));
    assertTrue(p.matches("build/x/y.o"));
    assertFalse(p.matches("src/build.c"));
  }

  @Test
  void doubleStarCrossesAnyNumberOfDirectories() {
    PathPatterns p = of("**/*.go");
    assertTrue(p.matches("main.go"));
    assertTrue(p.matches("a/b/c/util.go"));
    assertFalse(p.matches("a/b/readme"));
    assertTrue(of("a/**/z").matches("a/z"));
    assertTrue(of("a/**/z").matches("a/b/c/z"));
  }

  @Test
  void characterClassesMatchOneCharacter() {
    assertTrue(of("file[0-9]").matches("file7"));
    assertFalse(of("file[0-9]").matches("filex"));
    assertTrue(of("file[!0-9]").matches("filex"));
  }

  @Test
  void characterClassMembersAreTakenLiterallyNeverAsRegexSyntax() {
    assertTrue(of("[&&a]").matches("&"));
    assertTrue(of("[]a]").matches("]"));
    assertTrue(of("[a-]").matches("-"));
    assertFalse(of("[\\p{L}]").matches("b"));
  }

  @Test
  void aLongRunOfStarsMatchesLikeTwoAndQuickly() {
    String stars = "*".repeat(80);
    assertTrue(of("a/" + stars + "/z").matches("a/b/c/z"));
    assertFalse(of(stars + "[x]").matches("y".repeat(60)));
  }

  @Test
  void anEmptyOrReversedCharacterClassIsAnErrorNamingThePattern() {
    InvalidPatternException reversed =
        assertThrows(InvalidPatternException.class, () -> of("*.md", "logs/[z-a]"));
    assertEquals("invalid pattern \"logs/[z-a]\": reversed range z-a", reversed.getMessage());
    assertEquals("logs/[z-a]", reversed.pattern());
    assertThrows(InvalidPatternException.class, () -> of("![!]"));
  }

  @Test
  void exclamationReincludesWhatAnEarlierPatternMatched() {
    PathPatterns p = of("*.md", "!README.md");
    assertTrue(p.matches("CHANGES.md"));
    assertFalse(p.matches("README.md"));
    assertTrue(of("docs", "!docs/keep.txt").matches("docs/other.txt"));
    assertFalse(of("docs", "!docs/keep.txt").matches("docs/keep.txt"));
  }

  @Test
  void theLastMatchingPatternWins() {
    assertTrue(of("!a.txt", "*.txt").matches("a.txt"));
  }

  @Test
  void leadingSlashAndDotSlashAreIgnored() {
    assertTrue(of("/src/*.c").matches("src/main.c"));
    assertTrue(of("./src").matches("src/main.c"));
  }

  @Test
  void mayMatchBelowPrunesOnlyDirectoriesNoPatternCanReach() {
    PathPatterns p = of("src/main/**/*.java", "docs/*.md");
    assertTrue(p.mayMatchBelow("src"));
    assertTrue(p.mayMatchBelow("src/main/java/dev"));
    assertTrue(p.mayMatchBelow("docs"));
    assertFalse(p.mayMatchBelow("target"));
    assertFalse(p.mayMatchBelow("docs/sub"));
    assertTrue(of("**/*.txt").mayMatchBelow("anything/deep"));
  }
}

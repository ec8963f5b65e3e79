package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerfileParserTest {
  private static ParsedDockerfile parse(String text) {
    return DockerfileParser.parse(text, "Dockerfile");
  }

  private static DockerfileParseException rejected(String text) {
    return assertThrows(DockerfileParseException.class, () -> parse(text));
  }

  @Test
  void directivesAtTheTopAreRecordedWithCaseInsensitiveKeys() {
    ParsedDockerfile file =
        parse("# SYNTAX = docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a\n");
    assertEquals(
        Map.of("syntax", "docker/dockerfile:1", "escape", "`", "check", "skip=all"),
        file.directives());
    assertEquals('`', file.escape());
  }

  @Test
  void aDirectiveAfterAnInstructionOrCommentIsJustAComment() {
    assertEquals(Map.of(), parse("FROM a\n# escape=`\n").directives());
    ParsedDockerfile afterComment = parse("# hello\n# escape=`\nFROM a\n");
    assertEquals('\\', afterComment.escape());
  }

  @Test
  void aRepeatedDirectiveIsRejectedAtItsLine() {
    DockerfileParseException e = rejected("# escape=`\n# escape=\\\nFROM a\n");
    assertEquals(2, e.line());
    assertEquals("Dockerfile:2: only one escape parser directive can be used", e.getMessage());
  }

  @Test
  void anInvalidEscapeIsRejected() {
    assertTrue(rejected("# escape=x\nFROM a\n").detail().startsWith("invalid escape token"));
  }

  @Test
  void backtickEscapeJoinsLinesAndLeavesBackslashesAlone() {
    ParsedDockerfile file = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\n");
    assertEquals(List.of("dir c:\\   /w"), file.instructions().get(1).args());
  }

  @Test
  void continuationsSkipCommentsAndBlankLinesAndSpanTheirLines() {
    Instruction run = parse("FROM a\nRUN echo \\\n# note\n\n  hi\nUSER x\n").instructions().get(1);
    assertEquals(List.of("echo   hi"), run.args());
    assertEquals(2, run.startLine());
    assertEquals(5, run.endLine());
    assertEquals("RUN echo   hi", run.original());
  }

  @Test
  void keywordsAreCaseInsensitiveAndStoredLowerCase() {
    Instruction from = parse("  fRoM alpine AS build\n").instructions().get(0);
    assertEquals("from", from.keyword());
    assertEquals(List.of("alpine", "AS", "build"), from.args());
  }

  @Test
  void flagsBeforeTheArgumentsAreKeptRaw() {
    Instruction copy =
        parse("FROM a\nCOPY --from=builder --chmod=755 --link src /dst\n").instructions().get(1);
    assertEquals(List.of("--from=builder", "--chmod=755", "--link"), copy.flags());
    assertEquals(List.of("src", "/dst"), copy.args());
  }

  @Test
  void jsonFormIsMarkedAndInvalidJsonFallsBackToShellForm() {
    List<Instruction> ins = parse("CMD [\"a\", \"b c\"]\nCMD [\"a\",\nRUN ['x']\n").instructions();
    assertTrue(ins.get(0).json());
    assertEquals(List.of("a", "b c"), ins.get(0).args());
    assertFalse(ins.get(1).json());
    assertEquals(List.of("[\"a\","), ins.get(1).args());
    assertEquals(List.of("['x']"), ins.get(2).args());
  }

  @Test
  void aJsonArrayOfNonStringsIsRejected() {
    assertTrue(rejected("FROM a\nCMD [1, 2]\n").detail().contains("strings only"));
  }

  @Test
  void envKeepsBuildkitsKeyValueSeparatorTriples() {
    List<Instruction> ins = parse("FROM a\nENV A 1 2\nENV B=\"x y\" C=z\n").instructions();
    assertEquals(List.of("A", "1 2", ""), ins.get(1).args());
    assertEquals(List.of("B", "\"x y\"", "=", "C", "z", "="), ins.get(2).args());
  }

  @Test
  void envWithAWordLackingEqualsIsRejected() {
    assertTrue(rejected("FROM a\nENV A=1 B\n").detail().contains("can't find = in \"B\""));
  }

  @Test
  void healthcheckKeepsItsTypeThenTheCommand() {
    List<Instruction> ins =
        parse("FROM a\nHEALTHCHECK NONE\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\"]\n")
            .instructions();
    assertEquals(List.of("NONE"), ins.get(1).args());
    assertEquals(List.of("--interval=5s"), ins.get(2).flags());
    assertEquals(List.of("CMD", "curl", "-f"), ins.get(2).args());
    assertTrue(ins.get(2).json());
  }

  @Test
  void onbuildParsesItsTriggerRecursively() {
    Instruction onbuild = parse("FROM a\nONBUILD COPY --from=x a b\n").instructions().get(1);
    Instruction trigger = onbuild.child().orElseThrow();
    assertEquals("copy", trigger.keyword());
    assertEquals(List.of("--from=x"), trigger.flags());
    assertEquals(List.of("a", "b"), trigger.args());
    assertEquals(
        "(onbuild (copy [\"--from=x\"] \"a\" \"b\"))\n",
        AstDump.dump(parse("ONBUILD COPY --from=x a b")));
  }

  @Test
  void onbuildRejectsForbiddenTriggers() {
    assertTrue(rejected("FROM a\nONBUILD ONBUILD RUN x\n").detail().contains("Chaining ONBUILD"));
    assertTrue(rejected("FROM a\nONBUILD FROM b\n").detail().contains("ONBUILD trigger"));
  }

  @Test
  void anUnknownInstructionSuggestsTheClosestOne() {
    DockerfileParseException e = rejected("FROM busybox\nRUNN echo hi\n");
    assertEquals("Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)", e.getMessage());
    assertEquals("unknown instruction: FOOBAR", rejected("FOOBAR x\n").detail());
    assertEquals(
        "unknown instruction: copyy (did you mean COPY?)", rejected("copyy a b\n").detail());
  }

  @Test
  void aFileWithoutInstructionsIsRejected() {
    assertEquals("file with no instructions", rejected("# just a comment\n\n").detail());
    assertEquals("file with no instructions", rejected("").detail());
  }

  @Test
  void windowsLineEndingsAndAByteOrderMarkAreIgnored() {
    ParsedDockerfile file = parse("\uFEFFFROM a\r\nRUN x \\\r\n  y\r\n");
    assertEquals(List.of("a"), file.instructions().get(0).args());
    assertEquals(List.of("x   y"), file.instructions().get(1).args());
    assertEquals(List.of("FROM a", "RUN x \\", "  y"), file.lines());
  }
}

package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HeredocTest {
  private static Instruction second(String text) {
    return DockerfileParser.parse(text, "Dockerfile").instructions().get(1);
  }

  @Test
  void aRunHeredocKeepsItsMarkerInTheLineAndItsBodyAside() {
    Instruction run = second("FROM a\nRUN <<EOF\necho hi\necho there\nEOF\nUSER x\n");
    assertEquals(List.of("<<EOF"), run.args());
    assertEquals(List.of(new Heredoc("EOF", "echo hi\necho there\n", true, false)), run.heredocs());
    assertEquals(2, run.startLine());
    assertEquals(5, run.endLine());
  }

  @Test
  void quotedDelimitersTurnExpansionOff() {
    Instruction run = second("FROM a\nRUN <<\"EOF\" cat\n$HOME\nEOF\n");
    assertEquals(List.of(new Heredoc("EOF", "$HOME\n", false, false)), run.heredocs());
    Instruction single = second("FROM a\nRUN <<'X'\nx\nX\n");
    assertEquals(List.of(new Heredoc("X", "x\n", false, false)), single.heredocs());
  }

  @Test
  void dashStripsLeadingTabsFromTheBodyAndTheDelimiter() {
    Instruction run = second("FROM a\nRUN <<-EOF\n\techo hi\n\t\tEOF\n");
    assertEquals(List.of(new Heredoc("EOF", "echo hi\n", true, true)), run.heredocs());
  }

  @Test
  void severalHeredocsOnOneLineAreReadInOrder() {
    Instruction copy = second("FROM a\nCOPY <<A <<B /dst/\na\nA\nb\nB\n");
    assertEquals(List.of("<<A", "<<B", "/dst/"), copy.args());
    assertEquals(
        List.of(new Heredoc("A", "a\n", true, false), new Heredoc("B", "b\n", true, false)),
        copy.heredocs());
    assertEquals(6, copy.endLine());
  }

  @Test
  void copyHeredocToAFile() {
    Instruction copy = second("FROM a\nCOPY <<EOF /etc/motd\nhello\nEOF\n");
    assertEquals(List.of("<<EOF", "/etc/motd"), copy.args());
    assertEquals("hello\n", copy.heredocs().get(0).content());
  }

  @Test
  void jsonFormAndOtherInstructionsTakeNoHeredocs() {
    DockerfileParser.parse("FROM a\nCMD <<EOF\n", "Dockerfile");
    Instruction run = second("FROM a\nRUN [\"<<EOF\"]\nUSER x\n");
    assertEquals(List.of(), run.heredocs());
  }

  @Test
  void anOnbuildTriggerTakesHeredocs() {
    Instruction onbuild = second("FROM a\nONBUILD RUN <<EOF\nx\nEOF\n");
    assertEquals("x\n", onbuild.child().orElseThrow().heredocs().get(0).content());
    assertEquals(4, onbuild.endLine());
  }

  @Test
  void anUnterminatedHeredocIsRejectedAtItsInstruction() {
    DockerfileParseException e =
        assertThrows(
            DockerfileParseException.class,
            () -> DockerfileParser.parse("FROM a\nRUN <<EOF\necho\n", "Dockerfile"));
    assertEquals("Dockerfile:2: unterminated heredoc", e.getMessage());
  }
}

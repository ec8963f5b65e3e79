package dev.kiln.frontend.dockerfile.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorExcerptTest {
  @Test
  void marksTheFailingLineBetweenRules() {
    String expected =
        "Dockerfile:3\n"
            + "--------------------\n"
            + "   1 |     # syntax=docker/dockerfile:1\n"
            + "   2 |     FROM busybox\n"
            + "   3 | >>> RUNN echo hi\n"
            + "--------------------\n"
            + "unknown instruction: RUNN (did you mean RUN?)\n";
    List<String> lines = List.of("# syntax=docker/dockerfile:1", "FROM busybox", "RUNN echo hi");
    assertEquals(
        expected,
        ErrorExcerpt.render(
            lines, "Dockerfile", 3, "unknown instruction: RUNN (did you mean RUN?)"));
  }

  @Test
  void showsLinesAfterTheErrorToo() {
    List<String> lines = List.of("a", "b", "c", "d", "e", "f", "g");
    String out = ErrorExcerpt.render(lines, "Dockerfile", 4, "boom");
    assertEquals(
        "Dockerfile:4\n--------------------\n"
            + "   2 |     b\n   3 |     c\n   4 | >>> d\n   5 |     e\n   6 |     f\n"
            + "--------------------\nboom\n",
        out);
  }

  @Test
  void theParseExceptionRendersItsOwnExcerpt() {
    DockerfileParseException e =
        assertThrows(
            DockerfileParseException.class,
            () -> DockerfileParser.parse("FROM busybox\nRUNN echo hi\n", "Dockerfile"));
    assertEquals(
        "Dockerfile:2\n--------------------\n   1 |     FROM busybox\n   2 | >>> RUNN echo hi\n"
            + "--------------------\nunknown instruction: RUNN (did you mean RUN?)\n",
        e.excerpt());
  }

  @Test
  void aLineOutsideTheFileGivesNoSourcePart() {
    assertEquals("f:9\nboom\n", ErrorExcerpt.render(List.of("a"), "f", 9, "boom"));
  }
}

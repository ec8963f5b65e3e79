package dev.kiln.frontend.dockerfile.parser;

import java.util.List;
import java.util.Map;

/**
 * A parsed Dockerfile: its parser directives ({@code syntax}, {@code escape}, {@code check}, as
 * written), the escape character in force, the instructions in order, and the source lines (for
 * error excerpts).
 */
public record ParsedDockerfile(
    Map<String, String> directives,
    char escape,
    List<Instruction> instructions,
    List<String> lines) {
  public ParsedDockerfile {
    directives = Map.copyOf(directives);
    instructions = List.copyOf(instructions);
    lines = List.copyOf(lines);
  }
}

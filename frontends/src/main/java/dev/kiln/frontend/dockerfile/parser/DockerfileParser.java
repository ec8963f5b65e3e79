package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses a Dockerfile into BuildKit's AST ({@code frontend/dockerfile/parser}): directives,
 * continuation lines, comments, per-instruction argument forms, flags and heredocs.
 */
public final class DockerfileParser {
  private DockerfileParser() {}

  /**
   * Parses {@code text}; {@code fileName} only names the file in errors.
   *
   * @throws DockerfileParseException if BuildKit's parser would reject the file, or an instruction
   *     is unknown
   */
  public static ParsedDockerfile parse(String text, String fileName) {
    SourceLines source = new SourceLines(text);
    List<String> lines = source.display();
    Directives directives = new Directives();
    LogicalLineReader reader = new LogicalLineReader(source, directives);
    List<Instruction> instructions = new ArrayList<>();
    try {
      for (Optional<LogicalLine> line = reader.next(); line.isPresent(); line = reader.next()) {
        instructions.add(instruction(line.get(), directives.escape(), source));
      }
    } catch (LocatedError e) {
      throw new DockerfileParseException(fileName, e.line(), e.getMessage(), lines);
    }
    if (instructions.isEmpty()) {
      int last = Math.max(1, lines.size());
      throw new DockerfileParseException(fileName, last, "file with no instructions", lines);
    }
    return new ParsedDockerfile(directives.values(), directives.escape(), instructions, lines);
  }

  private static Instruction instruction(LogicalLine line, char escape, SourceLines source) {
    Instruction parsed;
    try {
      parsed = InstructionParser.parse(line.text(), escape, line.startLine(), line.endLine());
    } catch (ParseError e) {
      throw new LocatedError(e.getMessage(), line.startLine());
    }
    if (!HeredocReader.accepts(parsed)) {
      return parsed;
    }
    List<Heredoc> heredocs = HeredocReader.read(line, source);
    if (heredocs.isEmpty()) {
      return parsed;
    }
    return withHeredocs(parsed, heredocs, source.lineNumber());
  }

  /** The instruction now spans its heredoc bodies; an ONBUILD trigger gets them too. */
  private static Instruction withHeredocs(Instruction i, List<Heredoc> heredocs, int endLine) {
    Optional<Instruction> child = i.child().map(c -> withHeredocs(c, heredocs, endLine));
    return new Instruction(
        i.keyword(),
        i.flags(),
        i.args(),
        i.json(),
        i.original(),
        i.startLine(),
        endLine,
        heredocs,
        child);
  }
}

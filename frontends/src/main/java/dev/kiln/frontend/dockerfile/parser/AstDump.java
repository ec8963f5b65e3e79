package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/**
 * BuildKit's {@code Node.Dump()} text, one {@code (keyword ["--flag"] "arg" ...)} line per
 * instruction: the format of the conformance {@code result} files.
 */
public final class AstDump {
  private AstDump() {}

  /** Every instruction on its own line, each line ending with a newline. */
  public static String dump(ParsedDockerfile file) {
    StringBuilder out = new StringBuilder();
    for (Instruction instruction : file.instructions()) {
      out.append('(').append(dump(instruction)).append(")\n");
    }
    return out.toString();
  }

  /** One instruction without the surrounding parentheses. */
  public static String dump(Instruction instruction) {
    StringBuilder out = new StringBuilder(instruction.keyword());
    if (!instruction.flags().isEmpty()) {
      List<String> quoted = new ArrayList<>();
      instruction.flags().forEach(f -> quoted.add(GoQuote.quote(f)));
      out.append(" [").append(String.join(" ", quoted)).append(']');
    }
    instruction.child().ifPresent(c -> out.append(" (").append(dump(c)).append(')'));
    for (String arg : instruction.args()) {
      out.append(' ').append(GoQuote.quote(arg));
    }
    return out.toString();
  }
}

package dev.kiln.frontend.dockerfile.parser;

import java.util.List;
import java.util.Optional;

/**
 * One parsed instruction, as BuildKit's parser produces it: the lower-case keyword, its raw {@code
 * --flags}, its arguments (for {@code ENV}/{@code LABEL}/{@code ARG} the parser's own grouping, as
 * in BuildKit's AST), whether it was written in JSON (exec) form, the original text, the lines it
 * spans (1-based, inclusive), its heredocs, and for {@code ONBUILD} the nested instruction.
 */
public record Instruction(
    String keyword,
    List<String> flags,
    List<String> args,
    boolean json,
    String original,
    int startLine,
    int endLine,
    List<Heredoc> heredocs,
    Optional<Instruction> child) {
  public Instruction {
    flags = List.copyOf(flags);
    args = List.copyOf(args);
    heredocs = List.copyOf(heredocs);
  }
}

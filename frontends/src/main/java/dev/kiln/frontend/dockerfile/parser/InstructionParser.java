package dev.kiln.frontend.dockerfile.parser;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns one logical line into an {@link Instruction} (heredocs are added later): keyword, flags,
 * arguments in the instruction's form, and for ONBUILD the trigger parsed recursively.
 */
final class InstructionParser {
  private static final List<String> NOT_TRIGGERS = List.of("onbuild", "from", "maintainer");

  private InstructionParser() {}

  /** Throws {@link ParseError} for an unknown instruction or malformed arguments. */
  static Instruction parse(String text, char escape, int startLine, int endLine) {
    SplitCommand command = SplitCommand.of(text);
    String keyword = command.keyword().toLowerCase(Locale.ROOT);
    if (!Keywords.isKnown(keyword)) {
      throw new ParseError(Keywords.unknownMessage(command.keyword()));
    }
    if (keyword.equals("onbuild")) {
      Optional<Instruction> trigger = trigger(command.rest(), escape, startLine, endLine);
      return new Instruction(
          keyword, command.flags(), List.of(), false, text, startLine, endLine, List.of(), trigger);
    }
    Args args = ArgumentParsers.forKeyword(keyword, command.rest(), escape);
    return new Instruction(
        keyword,
        command.flags(),
        args.values(),
        args.json(),
        text,
        startLine,
        endLine,
        List.of(),
        Optional.empty());
  }

  private static Optional<Instruction> trigger(
      String rest, char escape, int startLine, int endLine) {
    if (rest.isEmpty()) {
      return Optional.empty();
    }
    Instruction child = parse(rest, escape, startLine, endLine);
    if (child.keyword().equals("onbuild")) {
      throw new ParseError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    }
    if (NOT_TRIGGERS.contains(child.keyword())) {
      throw new ParseError(
          child.keyword().toUpperCase(Locale.ROOT) + " isn't allowed as an ONBUILD trigger");
    }
    return Optional.of(child);
  }
}

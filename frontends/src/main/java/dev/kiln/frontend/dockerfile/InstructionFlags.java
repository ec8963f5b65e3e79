package dev.kiln.frontend.dockerfile;

import dev.kiln.frontend.dockerfile.parser.Instruction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The {@code --flags} of one instruction, checked against the ones it accepts. */
final class InstructionFlags {
  private final Map<String, List<String>> values = new LinkedHashMap<>();

  private InstructionFlags() {}

  /** Parses the instruction's flags; an unknown one is an error with a suggestion. */
  static InstructionFlags parse(Instruction instruction, Set<String> allowed) {
    InstructionFlags flags = new InstructionFlags();
    for (String raw : instruction.flags()) {
      String body = raw.startsWith("--") ? raw.substring(2) : raw;
      int eq = body.indexOf('=');
      String name = eq < 0 ? body : body.substring(0, eq);
      String value = eq < 0 ? "true" : body.substring(eq + 1);
      if (!allowed.contains(name)) {
        String keyword = instruction.keyword().toUpperCase(java.util.Locale.ROOT);
        String hint =
            Suggestions.nearest(name, allowed).map(s -> " (did you mean --" + s + "?)").orElse("");
        throw new DockerfileError(
            instruction.startLine(), "unknown flag: --" + name + " for " + keyword + hint);
      }
      flags.values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return flags;
  }

  Optional<String> get(String name) {
    List<String> all = values.get(name);
    return all == null ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  boolean has(String name) {
    return values.containsKey(name);
  }
}

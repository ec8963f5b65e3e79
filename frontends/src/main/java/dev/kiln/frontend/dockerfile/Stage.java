package dev.kiln.frontend.dockerfile;

import dev.kiln.frontend.dockerfile.parser.Instruction;
import java.util.List;
import java.util.Optional;

/** One build stage: its FROM instruction, its name ({@code AS name}) and its instructions. */
record Stage(int index, Optional<String> name, Instruction from, List<Instruction> body) {
  Stage {
    body = List.copyOf(body);
  }

  /** How progress labels the stage: its name, else {@code stage-N}. */
  String label() {
    return name.orElse("stage-" + index);
  }
}

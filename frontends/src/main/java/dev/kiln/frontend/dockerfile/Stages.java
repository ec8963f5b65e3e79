package dev.kiln.frontend.dockerfile;

import dev.kiln.frontend.dockerfile.parser.Instruction;
import dev.kiln.frontend.dockerfile.parser.ParsedDockerfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Splits a Dockerfile into the ARGs before the first FROM and its stages. */
record Stages(List<Instruction> metaArgs, List<Stage> stages) {
  static Stages split(ParsedDockerfile dockerfile) {
    List<Instruction> metaArgs = new ArrayList<>();
    List<Stage> stages = new ArrayList<>();
    Instruction from = null;
    List<Instruction> body = new ArrayList<>();
    for (Instruction instruction : dockerfile.instructions()) {
      if (instruction.keyword().equals("from")) {
        if (from != null) {
          stages.add(stage(stages.size(), from, body));
        }
        from = instruction;
        body = new ArrayList<>();
      } else if (from == null) {
        if (!instruction.keyword().equals("arg")) {
          throw new DockerfileError(
              instruction.startLine(),
              "no build stage in current context: "
                  + instruction.keyword().toUpperCase(Locale.ROOT)
                  + " must come after a FROM");
        }
        metaArgs.add(instruction);
      } else {
        body.add(instruction);
      }
    }
    if (from == null) {
      throw new DockerfileError(0, "the Dockerfile has no FROM instruction");
    }
    stages.add(stage(stages.size(), from, body));
    return new Stages(metaArgs, stages);
  }

  private static Stage stage(int index, Instruction from, List<Instruction> body) {
    List<String> args = from.args();
    if (args.isEmpty()) {
      throw new DockerfileError(from.startLine(), "FROM requires an image or stage name");
    }
    Optional<String> name = Optional.empty();
    if (args.size() == 3 && args.get(1).equalsIgnoreCase("as")) {
      String stageName = args.get(2).toLowerCase(Locale.ROOT);
      if (!stageName.matches("[a-z][a-z0-9._-]*")) {
        throw new DockerfileError(
            from.startLine(), "invalid name for build stage: \"" + args.get(2) + "\"");
      }
      name = Optional.of(stageName);
    } else if (args.size() != 1) {
      throw new DockerfileError(
          from.startLine(), "FROM requires either one or three arguments (FROM image [AS name])");
    }
    return new Stage(index, name, from, body);
  }

  /** The stage named {@code ref} (case-insensitive) or numbered {@code ref}. */
  Optional<Stage> find(String ref) {
    String wanted = ref.toLowerCase(Locale.ROOT);
    for (Stage stage : stages) {
      if (stage.name().equals(Optional.of(wanted))) {
        return Optional.of(stage);
      }
    }
    if (wanted.matches("\\d{1,4}")) {
      int index = Integer.parseInt(wanted);
      if (index < stages.size()) {
        return Optional.of(stages.get(index));
      }
    }
    return Optional.empty();
  }
}

package dev.kiln.frontend.dockerfile;

import dev.kiln.frontend.dockerfile.parser.Instruction;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The instructions that change only the image configuration: ENV, LABEL, EXPOSE, VOLUME, USER,
 * STOPSIGNAL, SHELL, CMD, ENTRYPOINT, HEALTHCHECK, ONBUILD, MAINTAINER.
 */
final class ConfigInstructions {
  private ConfigInstructions() {}

  /** Applies {@code instruction} if it is one of these; returns false otherwise. */
  static boolean apply(
      Instruction instruction, ImageConfig config, WordExpander expander, Map<String, String> env) {
    int line = instruction.startLine();
    List<String> args = instruction.args();
    // Every word sees the variables as they stood at the start of the instruction.
    Map<String, String> vars = merged(env, config);
    switch (instruction.keyword()) {
      case "env":
        for (int i = 0; i + 1 < args.size(); i += 3) {
          config.setEnv(args.get(i), expander.word(args.get(i + 1), vars));
        }
        break;
      case "label":
        for (int i = 0; i + 1 < args.size(); i += 3) {
          config.labels.put(expander.word(args.get(i), vars), expander.word(args.get(i + 1), vars));
        }
        break;
      case "expose":
        for (String arg : args) {
          for (String port : expander.words(arg, vars)) {
            config.exposedPorts.add(port.contains("/") ? port : port + "/tcp");
          }
        }
        break;
      case "volume":
        for (String arg : args) {
          String volume = expander.word(arg, vars);
          if (volume.isBlank()) {
            throw new DockerfileError(line, "VOLUME specified can not be an empty string");
          }
          config.volumes.add(volume);
        }
        break;
      case "user":
        config.user = expander.word(single(instruction), vars);
        break;
      case "stopsignal":
        config.stopSignal = expander.word(single(instruction), vars);
        break;
      case "shell":
        if (!instruction.json() || args.isEmpty()) {
          throw new DockerfileError(line, "SHELL requires the arguments to be in JSON form");
        }
        config.shell = List.copyOf(args);
        break;
      case "cmd":
        config.cmd = Optional.of(command(instruction, config));
        break;
      case "entrypoint":
        config.entrypoint = Optional.of(command(instruction, config));
        config.cmd = Optional.empty();
        break;
      case "healthcheck":
        config.healthcheck = Optional.of(Healthchecks.parse(instruction, config));
        break;
      case "onbuild":
        config.onBuild.add(
            instruction.child().map(Instruction::original).orElse(String.join(" ", args)));
        break;
      case "maintainer":
        config.author = String.join(" ", args);
        break;
      default:
        return false;
    }
    return true;
  }

  /** The exec form as written, or the shell form wrapped in the stage's shell. */
  static List<String> command(Instruction instruction, ImageConfig config) {
    if (instruction.json()) {
      return List.copyOf(instruction.args());
    }
    List<String> argv = new ArrayList<>(shell(config));
    argv.add(String.join(" ", instruction.args()));
    return argv;
  }

  static List<String> shell(ImageConfig config) {
    return config.shell().isEmpty() ? List.of("/bin/sh", "-c") : config.shell();
  }

  /** The variables an instruction expands with: build args, overridden by the environment. */
  static Map<String, String> merged(Map<String, String> args, ImageConfig config) {
    Map<String, String> vars = new java.util.LinkedHashMap<>(args);
    for (String entry : config.env) {
      int eq = entry.indexOf('=');
      vars.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return vars;
  }

  private static String single(Instruction instruction) {
    if (instruction.args().size() != 1) {
      throw new DockerfileError(
          instruction.startLine(),
          instruction.keyword().toUpperCase(Locale.ROOT) + " requires exactly one argument");
    }
    return instruction.args().get(0);
  }

  static final Set<String> KEYWORDS =
      Set.of(
          "env",
          "label",
          "expose",
          "volume",
          "user",
          "stopsignal",
          "shell",
          "cmd",
          "entrypoint",
          "healthcheck",
          "onbuild",
          "maintainer");
}

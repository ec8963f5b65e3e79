package dev.kiln.frontend.dockerfile;

import dev.kiln.frontend.dockerfile.parser.Instruction;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HEALTHCHECK: {@code NONE}, or {@code CMD} with its timing flags in Go duration syntax. */
final class Healthchecks {
  private static final Pattern DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private Healthchecks() {}

  static ImageConfig.Healthcheck parse(Instruction instruction, ImageConfig config) {
    int line = instruction.startLine();
    List<String> args = instruction.args();
    if (args.isEmpty()) {
      throw new DockerfileError(line, "HEALTHCHECK requires an argument (NONE or CMD ...)");
    }
    String kind = args.get(0).toUpperCase(Locale.ROOT);
    if (kind.equals("NONE")) {
      if (args.size() > 1 || !instruction.flags().isEmpty()) {
        throw new DockerfileError(line, "HEALTHCHECK NONE takes no other arguments");
      }
      return new ImageConfig.Healthcheck(List.of("NONE"), 0, 0, 0, 0, 0);
    }
    if (!kind.equals("CMD") || args.size() < 2) {
      throw new DockerfileError(line, "HEALTHCHECK expects NONE or CMD followed by a command");
    }
    InstructionFlags flags =
        InstructionFlags.parse(
            instruction,
            Set.of("interval", "timeout", "start-period", "start-interval", "retries"));
    List<String> test = new ArrayList<>();
    if (instruction.json()) {
      test.add("CMD");
      test.addAll(args.subList(1, args.size()));
    } else {
      test.add("CMD-SHELL");
      test.add(String.join(" ", args.subList(1, args.size())));
    }
    int retries = 0;
    if (flags.get("retries").isPresent()) {
      try {
        retries = Integer.parseInt(flags.get("retries").get());
      } catch (NumberFormatException e) {
        throw new DockerfileError(line, "--retries must be a whole number");
      }
    }
    return new ImageConfig.Healthcheck(
        test,
        duration(flags, "interval", line),
        duration(flags, "timeout", line),
        duration(flags, "start-period", line),
        duration(flags, "start-interval", line),
        retries);
  }

  /** A Go duration ("30s", "1m30s", "1.5h") in nanoseconds; 0 when the flag is absent. */
  static long duration(InstructionFlags flags, String name, int line) {
    if (flags.get(name).isEmpty()) {
      return 0;
    }
    String text = flags.get(name).get();
    Matcher m = DURATION_PART.matcher(text);
    double nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double value = Double.parseDouble(m.group(1));
      nanos += value * unit(m.group(2));
      end = m.end();
    }
    if (end != text.length() || text.isEmpty()) {
      throw new DockerfileError(line, "--" + name + ": invalid duration \"" + text + "\"");
    }
    return (long) nanos;
  }

  private static double unit(String unit) {
    switch (unit) {
      case "ns":
        return 1;
      case "us":
      case "µs":
        return 1e3;
      case "ms":
        return 1e6;
      case "s":
        return 1e9;
      case "m":
        return 60e9;
      default:
        return 3600e9;
    }
  }
}

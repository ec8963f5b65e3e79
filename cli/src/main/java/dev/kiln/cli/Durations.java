package dev.kiln.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as options give them: {@code 90}, {@code 90s}, {@code 5m}, {@code 1h}. */
final class Durations {
  private static final Pattern FORM = Pattern.compile("(\\d{1,9})([smh]?)");

  private Durations() {}

  /** {@code text}, given as {@code option}; throws naming the option when malformed. */
  static Duration parse(String option, String text) {
    Matcher matcher = FORM.matcher(text.strip());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          option + " " + text + ": a duration is a whole number of seconds, or with s, m or h");
    }
    long amount = Long.parseLong(matcher.group(1));
    return switch (matcher.group(2)) {
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofSeconds(amount);
    };
  }
}

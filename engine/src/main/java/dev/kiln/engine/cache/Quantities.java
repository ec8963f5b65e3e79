package dev.kiln.engine.cache;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes and durations as Docker's tools write and read them ({@code 10GB}, {@code 24h}). */
public final class Quantities {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(i?b)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|d|h|m|s)");
  private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB", "PB"};

  private Quantities() {}

  /** Bytes from {@code 10GB}, {@code 512m}, {@code 1.5g} or {@code 1024} (binary units). */
  public static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a size: use a number with an optional unit (512MB, 10GB)");
    }
    int power =
        "bkmgtp".indexOf(m.group(2).isEmpty() ? 'b' : Character.toLowerCase(m.group(2).charAt(0)));
    double bytes = Double.parseDouble(m.group(1)) * Math.pow(1024, power);
    if (bytes >= Long.MAX_VALUE) {
      throw new IllegalArgumentException("\"" + text + "\" is too large");
    }
    return (long) bytes;
  }

  /**
   * A duration from Go's form ({@code 24h}, {@code 1h30m}, {@code 90s}), with {@code d} for days.
   */
  public static Duration parseDuration(String text) {
    String trimmed = text.trim();
    if (!trimmed.matches("(" + DURATION_PART.pattern() + ")+")) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a duration: use a number and a unit (90s, 30m, 24h, 7d)");
    }
    Duration total = Duration.ZERO;
    Matcher m = DURATION_PART.matcher(trimmed);
    while (m.find()) {
      long unitMillis =
          switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 86_400_000;
          };
      total = total.plusMillis((long) (Double.parseDouble(m.group(1)) * unitMillis));
    }
    return total;
  }

  /** {@code 4.1MB}: four significant digits, decimal units, as Docker prints sizes. */
  public static String humanSize(long bytes) {
    double size = bytes;
    int unit = 0;
    while (size >= 1000 && unit < UNITS.length - 1) {
      size /= 1000;
      unit++;
    }
    String digits = String.format(Locale.ROOT, "%.4g", size);
    if (digits.contains(".")) {
      digits = digits.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return digits + UNITS[unit];
  }

  /** {@code 3 minutes ago}. */
  public static String ago(long millis, long nowMillis) {
    long seconds = Math.max(0, (nowMillis - millis) / 1000);
    if (seconds < 60) {
      return plural(seconds, "second");
    }
    if (seconds < 3600) {
      return plural(seconds / 60, "minute");
    }
    if (seconds < 86_400) {
      return plural(seconds / 3600, "hour");
    }
    return plural(seconds / 86_400, "day");
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s") + " ago";
  }
}

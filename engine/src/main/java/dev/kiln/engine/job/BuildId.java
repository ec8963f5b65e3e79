package dev.kiln.engine.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * A build's id: a ULID (26 characters of Crockford base32, 48 bits of milliseconds then 80 random
 * bits), so ids sort by the time the build was accepted and never repeat.
 */
public record BuildId(String value) implements Comparable<BuildId> {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final Pattern FORM = Pattern.compile("[0-7][0-9A-HJKMNP-TV-Z]{25}");
  private static final SecureRandom RANDOM = new SecureRandom();

  public BuildId {
    if (!FORM.matcher(value).matches()) {
      throw new IllegalArgumentException("not a build id: " + quoted(value));
    }
  }

  /** A new id for a build accepted at {@code millis}. */
  public static BuildId at(long millis) {
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    char[] text = new char[26];
    long time = millis;
    for (int i = 9; i >= 0; i--) {
      text[i] = ALPHABET[(int) (time & 31)];
      time >>>= 5;
    }
    // 80 random bits as 16 characters of 5 bits each.
    long high = 0;
    long low = 0;
    for (int i = 0; i < 5; i++) {
      high = (high << 8) | (random[i] & 0xff);
      low = (low << 8) | (random[i + 5] & 0xff);
    }
    for (int i = 17; i >= 10; i--) {
      text[i] = ALPHABET[(int) (high & 31)];
      high >>>= 5;
    }
    for (int i = 25; i >= 18; i--) {
      text[i] = ALPHABET[(int) (low & 31)];
      low >>>= 5;
    }
    return new BuildId(new String(text));
  }

  /** A new id for a build accepted now. */
  public static BuildId next() {
    return at(System.currentTimeMillis());
  }

  /** Reads an id a user or a client gave, case-insensitively as ULIDs are. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static BuildId parse(String text) {
    return new BuildId(text.toUpperCase(java.util.Locale.ROOT));
  }

  /** The millisecond the build was accepted. */
  public long millis() {
    long time = 0;
    for (int i = 0; i < 10; i++) {
      time = (time << 5) | new String(ALPHABET).indexOf(value.charAt(i));
    }
    return time;
  }

  private static String quoted(String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
    return "\"" + shown.replaceAll("\\p{Cntrl}", "?") + "\"";
  }

  @JsonValue
  @Override
  public String toString() {
    return value;
  }

  /** Oldest first: ids sort by the time they were made. */
  @Override
  public int compareTo(BuildId other) {
    return value.compareTo(other.value);
  }
}

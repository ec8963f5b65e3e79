package dev.kiln.cli;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/** {@code SOURCE_DATE_EPOCH} from the environment, as reproducible-builds.org defines it. */
final class SourceDateEpoch {
  static final String NAME = "SOURCE_DATE_EPOCH";

  private SourceDateEpoch() {}

  /** The epoch, if set and not empty; throws IllegalArgumentException for a malformed value. */
  static Optional<Instant> from(Function<String, String> environment) {
    String value = environment.apply(NAME);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.matches("\\d{1,12}")) {
      throw new IllegalArgumentException(
          NAME
              + "="
              + value
              + ": use a whole number of seconds since 1970-01-01 UTC (as `date +%s` prints)");
    }
    return Optional.of(Instant.ofEpochSecond(Long.parseLong(value)));
  }
}

package dev.kiln.engine.executor;

import java.util.Optional;

/**
 * A step's {@code user} field parsed: {@code uid[:gid]} or {@code name[:group]}, each side either.
 */
public record UserSpec(String user, Optional<String> group) {
  public UserSpec {
    if (user.isEmpty() || user.contains(":")) {
      throw new IllegalArgumentException("invalid user \"" + user + "\"");
    }
    if (group.isPresent() && (group.get().isEmpty() || group.get().contains(":"))) {
      throw new IllegalArgumentException("invalid group \"" + group.get() + "\"");
    }
  }

  /** Parses {@code spec}; an empty spec means root, as in Docker. */
  public static UserSpec parse(String spec) {
    if (spec == null || spec.isEmpty()) {
      return new UserSpec("0", Optional.empty());
    }
    int colon = spec.indexOf(':');
    if (colon < 0) {
      return new UserSpec(spec, Optional.empty());
    }
    return new UserSpec(spec.substring(0, colon), Optional.of(spec.substring(colon + 1)));
  }

  static boolean isNumeric(String id) {
    return !id.isEmpty() && id.length() <= 10 && id.chars().allMatch(c -> c >= '0' && c <= '9');
  }
}

package dev.kiln.engine.check;

import java.io.IOException;
import java.util.Optional;

/** A problem a check found, with the fix {@code --repair} applies (none when it needs a person). */
record Finding(Problem problem, Optional<Fix> fix) {
  /** Undoes one problem; never touches anything else. */
  @FunctionalInterface
  interface Fix {
    void apply() throws IOException;
  }

  /** A problem that {@code fix} repairs with {@code action}. */
  static Finding fixable(
      Problem.Kind kind, String subject, String detail, Problem.Action action, Fix fix) {
    return new Finding(new Problem(kind, subject, detail, action, false), Optional.of(fix));
  }

  /** A problem no repair can fix: {@code detail} says what a person should do. */
  static Finding manual(Problem.Kind kind, String subject, String detail) {
    return new Finding(
        new Problem(kind, subject, detail, Problem.Action.NONE, false), Optional.empty());
  }

  /** The problem after a repair: fixed, or still there saying why. */
  Problem repair() {
    if (fix.isEmpty()) {
      return problem;
    }
    try {
      fix.get().apply();
      return problem.asRepaired();
    } catch (IOException | RuntimeException e) {
      return problem.repairFailed(String.valueOf(e.getMessage()));
    }
  }
}

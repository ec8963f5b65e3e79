package dev.kiln.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Wall time per phase of a command, reported separately as the design asks (start-up apart). */
final class Timings {
  private final List<String> laps = new ArrayList<>();
  private long last = System.nanoTime();

  void lap(String phase) {
    long now = System.nanoTime();
    laps.add(String.format(Locale.ROOT, "%s %.2fs", phase, (now - last) / 1e9));
    last = now;
  }

  @Override
  public String toString() {
    return String.join(", ", laps);
  }
}

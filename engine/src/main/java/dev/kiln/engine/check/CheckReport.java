package dev.kiln.engine.check;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code kiln check} found in a root: how much it checked and every problem, in the order a
 * repair handles them. The root is clean when no damage is left: leftovers of interrupted runs are
 * listed but harmless, since nothing names them.
 */
public record CheckReport(Path root, boolean repair, Counts checked, List<Problem> problems) {
  /** What was checked: blobs re-hashed, cache records, committed layers, tagged images. */
  public record Counts(int blobs, int records, int layers, int images) {}

  public CheckReport {
    problems = List.copyOf(problems);
  }

  /** The problems that are damage rather than leftovers. */
  public List<Problem> damage() {
    return problems.stream().filter(p -> !p.kind().leftover()).toList();
  }

  /** The leftovers of interrupted runs. */
  public List<Problem> leftovers() {
    return problems.stream().filter(p -> p.kind().leftover()).toList();
  }

  /** The problems a repair fixed. */
  public List<Problem> repaired() {
    return problems.stream().filter(Problem::repaired).toList();
  }

  /** The damage still there: found by a check, or beyond what a repair could fix. */
  public List<Problem> remaining() {
    return damage().stream().filter(p -> !p.repaired()).toList();
  }

  /** Whether no damage is left. */
  public boolean clean() {
    return remaining().isEmpty();
  }
}

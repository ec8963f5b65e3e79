package dev.kiln.engine.fileop;

import java.util.List;

/** Which paths of a tree to take: those matching the includes (all when none) and no exclude. */
public record Selection(PathPatterns includes, PathPatterns excludes) {
  public static final Selection ALL = of(List.of(), List.of());

  public static Selection of(List<String> includes, List<String> excludes) {
    return new Selection(PathPatterns.of(includes), PathPatterns.of(excludes));
  }

  /** Whether the entry at {@code relativePath} is itself selected. */
  public boolean selects(String relativePath) {
    return (includes.isEmpty() || includes.matches(relativePath))
        && !excludes.matches(relativePath);
  }

  /** Whether a walk must look inside directory {@code relativePath}. */
  public boolean mayDescend(String relativePath) {
    boolean included =
        includes.isEmpty()
            || includes.matches(relativePath)
            || includes.mayMatchBelow(relativePath);
    boolean pruned = excludes.matches(relativePath) && !excludes.hasExceptions();
    return included && !pruned;
  }
}

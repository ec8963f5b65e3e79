package dev.kiln.engine.fileop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * A list of .dockerignore-style patterns. The last pattern that matches a path decides; a pattern
 * prefixed with {@code !} re-includes what earlier ones matched; a pattern matching a directory
 * also matches everything below it.
 */
public final class PathPatterns {
  private final List<Rule> rules;

  private record Rule(GlobPattern glob, List<GlobPattern> parts, boolean exception) {}

  /** A pattern that is no glob (an empty or reversed {@code [...]}); names the pattern. */
  public static final class InvalidPatternException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String pattern;

    InvalidPatternException(String pattern, PatternSyntaxException cause) {
      super(
          "invalid pattern \""
              + pattern
              + "\": "
              + cause.getDescription().toLowerCase(java.util.Locale.ROOT),
          cause);
      this.pattern = pattern;
    }

    /** The pattern as it was given. */
    public String pattern() {
      return pattern;
    }
  }

  private PathPatterns(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * Compiles {@code patterns}; blank ones are ignored, as in a .dockerignore file.
   *
   * @throws InvalidPatternException if a pattern is no glob
   */
  public static PathPatterns of(List<String> patterns) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : patterns) {
      String text = raw.strip();
      boolean exception = text.startsWith("!");
      String cleaned = clean(exception ? text.substring(1).strip() : text);
      if (cleaned.isEmpty()) {
        continue;
      }
      try {
        rules.add(rule(cleaned, exception));
      } catch (PatternSyntaxException e) {
        throw new InvalidPatternException(raw, e);
      }
    }
    return new PathPatterns(rules);
  }

  private static Rule rule(String cleaned, boolean exception) {
    List<GlobPattern> parts = new ArrayList<>();
    for (String part : cleaned.split("/")) {
      parts.add(GlobPattern.compile(part));
    }
    return new Rule(GlobPattern.compile(cleaned), parts, exception);
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** True when some pattern starts with {@code !}, so an excluded directory may not be pruned. */
  public boolean hasExceptions() {
    return rules.stream().anyMatch(Rule::exception);
  }

  /** Whether {@code relativePath} (slash-separated, relative to the context) is matched. */
  public boolean matches(String relativePath) {
    String path = clean(relativePath);
    boolean matched = false;
    for (Rule rule : rules) {
      // An inclusion cannot change a match, nor an exception a non-match: skip the work.
      if (rule.exception() != matched) {
        continue;
      }
      if (matchesSelfOrParent(rule.glob(), path)) {
        matched = !rule.exception();
      }
    }
    return matched;
  }

  /**
   * Whether some path strictly below directory {@code dir} could be matched by a non-exception
   * pattern; false means a walk may skip the directory.
   */
  public boolean mayMatchBelow(String dir) {
    String path = clean(dir);
    List<String> dirParts = path.isEmpty() ? List.of() : Arrays.asList(path.split("/"));
    for (Rule rule : rules) {
      if (!rule.exception() && (path.isEmpty() || prefixMayMatch(rule.parts(), dirParts))) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMayMatch(List<GlobPattern> parts, List<String> dirParts) {
    for (int i = 0; i < dirParts.size(); i++) {
      if (i >= parts.size()) {
        return true; // the pattern matched an ancestor, which covers everything below it
      }
      if (parts.get(i).glob().contains("**")) {
        return true;
      }
      if (!parts.get(i).matches(dirParts.get(i))) {
        return false;
      }
    }
    return parts.size() > dirParts.size();
  }

  private static boolean matchesSelfOrParent(GlobPattern glob, String path) {
    if (glob.matches(path)) {
      return true;
    }
    for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      if (glob.matches(path.substring(0, slash))) {
        return true;
      }
    }
    return false;
  }

  /** Drops leading "/" and "./", duplicate and trailing slashes, and "." components. */
  static String clean(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return String.join("/", parts);
  }
}

package dev.kiln.frontend.dockerfile.parser;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parser directives ({@code # syntax=}, {@code # escape=}, {@code # check=}): only recognised while
 * every line so far was one; the first other line, comment or blank line ends them.
 */
final class Directives {
  private static final Pattern DIRECTIVE =
      Pattern.compile(
          "^#[ \\t\\n\\f\\r]*([a-zA-Z][a-zA-Z0-9]*)[ \\t\\n\\f\\r]*=[ \\t\\n\\f\\r]*(.+?)[ \\t\\n\\f\\r]*\\z");
  private static final Set<String> KNOWN = Set.of("syntax", "escape", "check");

  private final Map<String, String> seen = new LinkedHashMap<>();
  private boolean done;
  private char escape = '\\';

  /** Looks at one (left-trimmed) source line; throws {@link ParseError} on a bad directive. */
  void offer(String line) {
    if (done) {
      return;
    }
    Matcher m = DIRECTIVE.matcher(line);
    if (!m.matches()) {
      done = true;
      return;
    }
    String key = m.group(1).toLowerCase(Locale.ROOT);
    if (!KNOWN.contains(key)) {
      done = true;
      return;
    }
    if (seen.containsKey(key)) {
      throw new ParseError("only one " + key + " parser directive can be used");
    }
    String value = m.group(2);
    if (key.equals("escape")) {
      if (!value.equals("`") && !value.equals("\\")) {
        throw new ParseError("invalid escape token '" + value + "' does not match ` or \\");
      }
      escape = value.charAt(0);
    }
    seen.put(key, value);
  }

  char escape() {
    return escape;
  }

  Map<String, String> values() {
    return Map.copyOf(seen);
  }
}

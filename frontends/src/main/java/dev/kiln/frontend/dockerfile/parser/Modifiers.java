package dev.kiln.frontend.dockerfile.parser;

import java.util.Map;

/**
 * The {@code ${name<modifier>word}} forms: {@code - + ?} (with or without {@code :}, which makes an
 * empty value count as unset) and the pattern removals {@code # ## % %%}.
 */
final class Modifiers {
  private Modifiers() {}

  static String apply(
      String name, Map<String, String> env, boolean colon, int modifier, String word, int escape) {
    boolean set = env.containsKey(name);
    String value = env.getOrDefault(name, "");
    boolean missing = !set || (colon && value.isEmpty());
    switch (modifier) {
      case '-':
        return missing ? word : value;
      case '+':
        return missing ? "" : word;
      case '?':
        if (!set) {
          throw new ShellExpansionException(
              name + ": " + (word.isEmpty() ? "is not allowed to be unset" : word));
        }
        if (missing) {
          throw new ShellExpansionException(
              name + ": " + (word.isEmpty() ? "is not allowed to be empty" : word));
        }
        return value;
      default:
        return trim(value, modifier, word, escape);
    }
  }

  private static String trim(String value, int modifier, String word, int escape) {
    // a doubled operator (## or %%) asks for the longest match
    boolean longest = !word.isEmpty() && word.codePointAt(0) == modifier;
    String pattern = longest ? word.substring(Character.charCount(modifier)) : word;
    GlobPattern glob = GlobPattern.compile(pattern, escape);
    return modifier == '#' ? glob.trimPrefix(value, longest) : glob.trimSuffix(value, longest);
  }
}

package dev.kiln.engine.fileop;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One glob in Docker's dialect ({@code *}, {@code ?}, {@code [...]}, {@code **}) compiled to a
 * regular expression over slash-separated relative paths.
 */
record GlobPattern(String glob, Pattern regex) {
  static GlobPattern compile(String glob) {
    return new GlobPattern(glob, Pattern.compile(toRegex(glob)));
  }

  boolean matches(String path) {
    return regex.matcher(path).matches();
  }

  /** True when {@code text} contains characters that make it a glob rather than a name. */
  static boolean isGlob(String text) {
    return text.indexOf('*') >= 0
        || text.indexOf('?') >= 0
        || text.indexOf('[') >= 0
        || text.indexOf('\\') >= 0;
  }

  private static String toRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    int n = glob.length();
    for (int i = 0; i < n; i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < n && glob.charAt(i + 1) == '*') {
          // A run of stars is one "**": adjacent ".*" would backtrack exponentially (a hang found
          // by fuzzing).
          while (i + 1 < n && glob.charAt(i + 1) == '*') {
            i++;
          }
          // "**/" also matches zero directories, so "a/**/b" matches "a/b".
          if (i + 1 < n && glob.charAt(i + 1) == '/') {
            i++;
            regex.append(i + 1 < n ? "(.*/)?" : ".*");
          } else {
            regex.append(".*");
          }
        } else {
          regex.append("[^/]*");
        }
      } else if (c == '?') {
        regex.append("[^/]");
      } else if (c == '[') {
        int close = glob.indexOf(']', i + 2);
        if (close < 0) {
          regex.append("\\[");
        } else {
          regex.append(characterClass(glob.substring(i + 1, close)));
          i = close;
        }
      } else if (c == '\\' && i + 1 < n) {
        i++;
        regex.append(Pattern.quote(String.valueOf(glob.charAt(i))));
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return regex.toString();
  }

  /**
   * The regex class for the body of {@code [...]}: members and {@code lo-hi} ranges, {@code !} or
   * {@code ^} first to negate, {@code \\} escaping a member. Each member is written as a code point
   * escape, so no text of the glob reaches the regex syntax.
   */
  private static String characterClass(String body) {
    int[] chars = body.codePoints().toArray();
    int j = chars.length > 0 && (chars[0] == '!' || chars[0] == '^') ? 1 : 0;
    if (j == chars.length) {
      throw new PatternSyntaxException("empty character class", body, 0);
    }
    StringBuilder members = new StringBuilder(j == 1 ? "[^" : "[");
    while (j < chars.length) {
      j = escaped(chars, j);
      int lo = chars[j++];
      members.append(member(lo));
      if (j + 1 < chars.length && chars[j] == '-') {
        j = escaped(chars, j + 1);
        int hi = chars[j++];
        if (hi < lo) {
          throw new PatternSyntaxException(
              "reversed range " + Character.toString(lo) + "-" + Character.toString(hi), body, j);
        }
        members.append('-').append(member(hi));
      }
    }
    return members.append(']').toString();
  }

  /** The index of the member at {@code j}: past a {@code \\} unless it ends the class. */
  private static int escaped(int[] chars, int j) {
    return chars[j] == '\\' && j + 1 < chars.length ? j + 1 : j;
  }

  private static String member(int codePoint) {
    return "\\x{" + Integer.toHexString(codePoint) + "}";
  }
}

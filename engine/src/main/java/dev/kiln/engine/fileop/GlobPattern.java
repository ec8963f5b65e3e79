package dev.kiln.engine.fileop;

import java.util.regex.Pattern;

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
          i++;
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
          String body = glob.substring(i + 1, close);
          if (body.startsWith("!")) {
            body = "^" + body.substring(1);
          }
          regex.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
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
}

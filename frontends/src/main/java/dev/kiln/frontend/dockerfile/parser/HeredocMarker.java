package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code <<EOF} word on an instruction line: the delimiter (quotes removed), whether the content
 * is expanded (no part of the delimiter was quoted) and whether leading tabs go ({@code <<-}).
 */
record HeredocMarker(String name, boolean expand, boolean chomp) {
  private static final Pattern MARKER = Pattern.compile("^(\\d*)<<(-?)([^<]*)\\z");

  /**
   * All markers on a line, in order. BuildKit finds them by shell-splitting the whole line, so a
   * line with an unterminated quote has none.
   */
  static List<HeredocMarker> find(String line) {
    List<HeredocMarker> markers = new ArrayList<>();
    for (String word : rawWords(line).orElse(List.of())) {
      of(word).ifPresent(markers::add);
    }
    return markers;
  }

  static Optional<HeredocMarker> of(String word) {
    Matcher m = MARKER.matcher(word);
    if (!m.matches() || m.group(3).isEmpty()) {
      return Optional.empty();
    }
    String raw = m.group(3);
    String name = unquote(raw);
    if (name.isEmpty()) {
      return Optional.empty();
    }
    boolean expand = quotes(name) == quotes(raw);
    return Optional.of(new HeredocMarker(name, expand, m.group(2).equals("-")));
  }

  private static long quotes(String s) {
    return s.chars().filter(c -> c == '\'' || c == '"').count();
  }

  /** Splits on unquoted white space, keeping quotes and backslashes as written. */
  private static Optional<List<String>> rawWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quote == 0 && GoText.isSpace(ch)) {
        if (word.length() > 0) {
          words.add(word.toString());
          word.setLength(0);
        }
        continue;
      }
      word.append(ch);
      if (ch == '\\' && quote != '\'' && i + 1 < line.length()) {
        word.append(line.charAt(++i));
      } else if (quote == 0 && (ch == '\'' || ch == '"')) {
        quote = ch;
      } else if (ch == quote) {
        quote = 0;
      }
    }
    if (quote != 0) {
      return Optional.empty();
    }
    if (word.length() > 0) {
      words.add(word.toString());
    }
    return Optional.of(words);
  }

  /** Removes quotes and backslash escapes, as the shell would from a word. */
  private static String unquote(String raw) {
    StringBuilder out = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < raw.length(); i++) {
      char ch = raw.charAt(i);
      if (quote == 0 && (ch == '\'' || ch == '"')) {
        quote = ch;
      } else if (ch == quote) {
        quote = 0;
      } else if (ch == '\\' && quote != '\'' && i + 1 < raw.length()) {
        char next = raw.charAt(i + 1);
        if (quote == 0 || next == '"' || next == '$' || next == '\\') {
          i++;
          out.append(next);
        } else {
          out.append(ch);
        }
      } else {
        out.append(ch);
      }
    }
    return out.toString();
  }
}

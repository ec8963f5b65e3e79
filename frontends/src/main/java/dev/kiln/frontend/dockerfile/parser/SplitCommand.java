package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An instruction line cut into its keyword (as written), its leading {@code --flags} and the rest.
 * Flags end at the first word not starting with {@code --}, or at a lone {@code --}.
 */
record SplitCommand(String keyword, List<String> flags, String rest) {
  static final Pattern WHITESPACE = Pattern.compile("[\\t\\x0B\\f\\r ]+");

  SplitCommand {
    flags = List.copyOf(flags);
  }

  static SplitCommand of(String line) {
    String[] parts = WHITESPACE.split(GoText.trim(line), 2);
    if (parts.length < 2) {
      return new SplitCommand(parts[0], List.of(), "");
    }
    List<String> flags = new ArrayList<>();
    String rest = extractFlags(parts[1], flags);
    return new SplitCommand(parts[0], flags, GoText.trim(rest));
  }

  /** Collects the flags into {@code flags}; returns what follows them. */
  private static String extractFlags(String line, List<String> flags) {
    int pos = 0;
    int n = line.length();
    while (true) {
      while (pos < n && GoText.isSpace(line.charAt(pos))) {
        pos++;
      }
      if (pos == n) {
        return "";
      }
      if (!line.startsWith("--", pos)) {
        return line.substring(pos);
      }
      FlagWord word = readWord(line, pos);
      if (word.text().equals("--")) {
        return word.end() == n ? "" : line.substring(word.end());
      }
      if (word.counts()) {
        flags.add(word.text());
      }
      pos = word.end();
    }
  }

  /** One flag word; quotes group and disappear, a backslash escapes the next character. */
  private record FlagWord(String text, boolean counts, int end) {}

  private static FlagWord readWord(String line, int start) {
    StringBuilder word = new StringBuilder();
    boolean quotedEmptyOk = false;
    char quote = 0;
    int pos = start;
    int n = line.length();
    while (pos < n) {
      char ch = line.charAt(pos);
      if (quote == 0) {
        if (GoText.isSpace(ch)) {
          break;
        }
        if (ch == '\'' || ch == '"') {
          quote = ch;
          quotedEmptyOk = true;
          pos++;
          continue;
        }
      } else if (ch == quote) {
        quote = 0;
        pos++;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == n) {
          pos++;
          continue;
        }
        ch = line.charAt(++pos);
      }
      word.append(ch);
      pos++;
    }
    return new FlagWord(word.toString(), quotedEmptyOk || word.length() > 0, pos);
  }
}

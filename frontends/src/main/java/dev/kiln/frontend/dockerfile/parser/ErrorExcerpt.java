package dev.kiln.frontend.dockerfile.parser;

import java.util.List;

/**
 * Renders BuildKit's error block: {@code file:line}, a few lines of source around the failing one
 * (marked {@code >>>}) between dashed rules, then the message.
 */
public final class ErrorExcerpt {
  private static final String RULE = "--------------------\n";

  private ErrorExcerpt() {}

  /** The block for {@code line} (1-based) of {@code lines}; no source part if out of range. */
  public static String render(List<String> lines, String fileName, int line, String message) {
    StringBuilder out = new StringBuilder(fileName).append(':').append(line).append('\n');
    if (line >= 1 && line <= lines.size()) {
      int[] window = window(line, lines.size());
      out.append(RULE);
      for (int i = window[0]; i <= window[1]; i++) {
        String marker = i == line ? ">>>" : "   ";
        out.append(String.format(" %3d | %s %s", i, marker, lines.get(i - 1))).append('\n');
      }
      out.append(RULE);
    }
    return out.append(message).append('\n').toString();
  }

  /** The excerpt for an error at {@code line} of an already parsed file. */
  public static String render(ParsedDockerfile file, String fileName, int line, String message) {
    return render(file.lines(), fileName, line, message);
  }

  /** BuildKit widens the window around the line by up to four lines, alternating sides. */
  private static int[] window(int line, int total) {
    int start = line;
    int end = line;
    for (int grown = 0; grown < 4; grown++) {
      if (start > 1) {
        start--;
        grown++;
      }
      if (end < total) {
        end++;
        grown++;
      }
    }
    return new int[] {start, end};
  }
}

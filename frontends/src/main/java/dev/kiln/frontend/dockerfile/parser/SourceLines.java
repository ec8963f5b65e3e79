package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/**
 * The physical lines of a Dockerfile with a read position. Each line keeps its terminator because
 * heredoc content is taken verbatim; {@link #display()} gives them without, for excerpts.
 */
final class SourceLines {
  private static final String BOM = "\uFEFF";

  private final List<String> raw;
  private int next;

  SourceLines(String text) {
    String body = text.startsWith(BOM) ? text.substring(1) : text;
    List<String> lines = new ArrayList<>();
    int start = 0;
    while (start < body.length()) {
      int nl = body.indexOf('\n', start);
      int end = nl < 0 ? body.length() : nl + 1;
      lines.add(body.substring(start, end));
      start = end;
    }
    this.raw = List.copyOf(lines);
  }

  boolean hasNext() {
    return next < raw.size();
  }

  /** The next line, with its terminator. */
  String next() {
    return raw.get(next++);
  }

  /** The 1-based number of the line last returned by {@link #next()}. */
  int lineNumber() {
    return next;
  }

  List<String> display() {
    List<String> out = new ArrayList<>(raw.size());
    for (String line : raw) {
      out.add(stripNewline(line));
    }
    return out;
  }

  static String stripNewline(String line) {
    int end = line.length();
    while (end > 0 && (line.charAt(end - 1) == '\n' || line.charAt(end - 1) == '\r')) {
      end--;
    }
    return line.substring(0, end);
  }
}

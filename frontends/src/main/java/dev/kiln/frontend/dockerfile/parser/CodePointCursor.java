package dev.kiln.frontend.dockerfile.parser;

/** Reads a string one code point at a time, with one code point of look-ahead. */
final class CodePointCursor {
  static final int EOF = -1;

  private final String text;
  private int pos;

  CodePointCursor(String text) {
    this.text = text;
  }

  int peek() {
    return pos < text.length() ? text.codePointAt(pos) : EOF;
  }

  int next() {
    int cp = peek();
    if (cp != EOF) {
      pos += Character.charCount(cp);
    }
    return cp;
  }
}

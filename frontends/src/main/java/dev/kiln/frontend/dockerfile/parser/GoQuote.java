package dev.kiln.frontend.dockerfile.parser;

/**
 * Go's {@code strconv.Quote}, which BuildKit's AST dump uses: printable characters stay as they
 * are, the rest become {@code \n}, {@code \x00}, {@code \u2028} and so on.
 */
final class GoQuote {
  private GoQuote() {}

  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    s.codePoints().forEach(cp -> appendEscaped(out, cp));
    return out.append('"').toString();
  }

  private static void appendEscaped(StringBuilder out, int cp) {
    if (cp == '"' || cp == '\\') {
      out.append('\\').appendCodePoint(cp);
      return;
    }
    if (isPrint(cp)) {
      out.appendCodePoint(cp);
      return;
    }
    switch (cp) {
      case 0x07:
        out.append("\\a");
        return;
      case '\b':
        out.append("\\b");
        return;
      case '\f':
        out.append("\\f");
        return;
      case '\n':
        out.append("\\n");
        return;
      case '\r':
        out.append("\\r");
        return;
      case '\t':
        out.append("\\t");
        return;
      case 0x0B:
        out.append("\\v");
        return;
      default:
        if (cp < ' ' || cp == 0x7F) {
          out.append(String.format("\\x%02x", cp));
        } else if (cp < 0x10000) {
          out.append(String.format("\\u%04x", cp));
        } else {
          out.append(String.format("\\U%08x", cp));
        }
    }
  }

  /** Go's {@code unicode.IsPrint}: letters, marks, numbers, punctuation, symbols and ' '. */
  private static boolean isPrint(int cp) {
    if (cp == ' ') {
      return true;
    }
    switch (Character.getType(cp)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.SURROGATE:
      case Character.PRIVATE_USE:
      case Character.UNASSIGNED:
      case Character.SPACE_SEPARATOR:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
        return false;
      default:
        return true;
    }
  }
}

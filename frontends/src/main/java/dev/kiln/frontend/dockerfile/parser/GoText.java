package dev.kiln.frontend.dockerfile.parser;

/**
 * Go's notion of white space ({@code unicode.IsSpace}), which BuildKit's parser uses everywhere;
 * Java's {@code Character.isWhitespace} differs (it excludes U+00A0 and U+0085).
 */
final class GoText {
  private GoText() {}

  static boolean isSpace(int cp) {
    switch (cp) {
      case '\t':
      case '\n':
      case 0x0B:
      case '\f':
      case '\r':
      case ' ':
      case 0x85:
      case 0xA0:
        return true;
      default:
        int type = Character.getType(cp);
        return type == Character.SPACE_SEPARATOR
            || type == Character.LINE_SEPARATOR
            || type == Character.PARAGRAPH_SEPARATOR;
    }
  }

  static String trimLeft(String s) {
    int i = 0;
    while (i < s.length() && isSpace(s.codePointAt(i))) {
      i += Character.charCount(s.codePointAt(i));
    }
    return s.substring(i);
  }

  static String trimRight(String s) {
    int end = s.length();
    while (end > 0 && isSpace(s.codePointBefore(end))) {
      end -= Character.charCount(s.codePointBefore(end));
    }
    return s.substring(0, end);
  }

  static String trim(String s) {
    return trimRight(trimLeft(s));
  }
}

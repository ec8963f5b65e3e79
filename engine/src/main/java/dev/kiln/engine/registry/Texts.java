package dev.kiln.engine.registry;

/** Makes untrusted text (references, headers, registry replies) safe to put in an error message. */
final class Texts {
  private static final int MAX_SHOWN = 120;

  private Texts() {}

  /** {@code text} with control characters escaped, cut to a readable length. */
  static String excerpt(String text) {
    StringBuilder shown = new StringBuilder();
    int i = 0;
    for (; i < text.length() && shown.length() < MAX_SHOWN; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        shown.append(String.format("\\x%02x", (int) c));
      } else if (invisible(c)) {
        // Bidi overrides and line separators could make a message say something else.
        shown.append(String.format("\\u%04x", (int) c));
      } else {
        shown.append(c);
      }
    }
    if (i < text.length()) {
      shown.append("…(").append(text.length()).append(" characters)");
    }
    return shown.toString();
  }

  private static boolean invisible(char c) {
    int type = Character.getType(c);
    return type == Character.FORMAT
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR;
  }
}

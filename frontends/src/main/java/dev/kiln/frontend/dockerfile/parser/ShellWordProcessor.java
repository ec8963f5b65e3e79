package dev.kiln.frontend.dockerfile.parser;

import java.util.List;
import java.util.Map;

/**
 * One expansion of one word (BuildKit's {@code shellWord}): walks the word once, expanding {@code
 * $var}/{@code ${...}}, removing quotes and escapes, and collecting both the joined result and the
 * word-split result. Not reusable: make one per word.
 */
final class ShellWordProcessor {
  /** What a scan produced and which stop character ended it ({@code EOF} if none). */
  record Scan(String word, List<String> words, int stoppedAt) {}

  private final CodePointCursor cursor;
  private final Map<String, String> env;
  private final int escape;
  private boolean rawEscapes;

  ShellWordProcessor(String word, Map<String, String> env, int escape) {
    this.cursor = new CodePointCursor(word);
    this.env = env;
    this.escape = escape;
  }

  Scan processAll() {
    return processUntil(new int[0], false);
  }

  /**
   * Scans until one of {@code stops} (consumed) or the end. With {@code keepEscapes} the escape
   * character stays in the result, so a glob pattern can still tell {@code \*} from {@code *}.
   */
  private Scan processUntil(int[] stops, boolean keepEscapes) {
    boolean saved = rawEscapes;
    rawEscapes = keepEscapes;
    try {
      return scan(stops);
    } finally {
      rawEscapes = saved;
    }
  }

  private Scan scan(int[] stops) {
    StringBuilder result = new StringBuilder();
    WordCollector words = new WordCollector();
    while (cursor.peek() != CodePointCursor.EOF) {
      int ch = cursor.peek();
      if (contains(stops, ch)) {
        cursor.next();
        return new Scan(result.toString(), words.words(), ch);
      }
      if (ch == '\'' || ch == '"') {
        String quoted = ch == '\'' ? singleQuoted() : doubleQuoted();
        result.append(quoted);
        words.addRawString(quoted);
      } else if (ch == '$') {
        String value = dollar();
        result.append(value);
        words.addString(value);
      } else {
        cursor.next();
        if (ch == escape) {
          if (rawEscapes) {
            words.addRawChar(ch);
            result.appendCodePoint(ch);
          }
          ch = cursor.next();
          if (ch == CodePointCursor.EOF) {
            break; // an escape at the very end is dropped
          }
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result.appendCodePoint(ch);
      }
    }
    if (stops.length > 0) {
      throw new ShellExpansionException(
          "unexpected end of statement while looking for matching "
              + new String(Character.toChars(stops[stops.length - 1])));
    }
    return new Scan(result.toString(), words.words(), CodePointCursor.EOF);
  }

  private static boolean contains(int[] stops, int ch) {
    for (int stop : stops) {
      if (stop == ch) {
        return true;
      }
    }
    return false;
  }

  /** Everything up to the next {@code '} is literal: it cannot even be escaped. */
  private String singleQuoted() {
    cursor.next();
    StringBuilder result = new StringBuilder();
    while (true) {
      int ch = cursor.next();
      if (ch == CodePointCursor.EOF) {
        throw new ShellExpansionException(
            "unexpected end of statement while looking for matching single-quote");
      }
      if (ch == '\'') {
        return result.toString();
      }
      result.appendCodePoint(ch);
    }
  }

  /** Literal except {@code $}, and the escape character before {@code " $} or itself. */
  private String doubleQuoted() {
    cursor.next();
    StringBuilder result = new StringBuilder();
    while (true) {
      int ch = cursor.peek();
      if (ch == CodePointCursor.EOF) {
        throw new ShellExpansionException(
            "unexpected end of statement while looking for matching double-quote");
      }
      if (ch == '"') {
        cursor.next();
        return result.toString();
      }
      if (ch == '$') {
        result.append(dollar());
        continue;
      }
      cursor.next();
      if (ch == escape) {
        int following = cursor.peek();
        if (following == CodePointCursor.EOF) {
          continue;
        }
        if (following == '"' || following == '$' || following == escape) {
          ch = cursor.next();
        }
      }
      result.appendCodePoint(ch);
    }
  }

  private String dollar() {
    cursor.next();
    if (cursor.peek() != '{') {
      String name = name();
      return name.isEmpty() ? "$" : env.getOrDefault(name, "");
    }
    cursor.next();
    int first = cursor.peek();
    if (first == CodePointCursor.EOF) {
      throw new ShellExpansionException("syntax error: missing '}'");
    }
    if (first == '{' || first == '}' || first == ':') {
      throw new ShellExpansionException("syntax error: bad substitution");
    }
    String name = name();
    int ch = cursor.next();
    if (ch == '}') {
      return env.getOrDefault(name, "");
    }
    if (ch == CodePointCursor.EOF) {
      throw new ShellExpansionException("syntax error: missing '}'");
    }
    if (ch == '/') {
      return replacement(name);
    }
    boolean colon = ch == ':';
    int modifier = colon ? cursor.next() : ch;
    String spelled = (colon ? ":" : "") + modifierText(modifier);
    boolean pattern = modifier == '#' || modifier == '%';
    if (!isModifier(modifier) || (colon && pattern)) {
      throw new ShellExpansionException("unsupported modifier (" + spelled + ") in substitution");
    }
    String word = closingWord(pattern);
    return Modifiers.apply(name, env, colon, modifier, word, escape);
  }

  private static String modifierText(int modifier) {
    return modifier == CodePointCursor.EOF ? "" : new String(Character.toChars(modifier));
  }

  private static boolean isModifier(int ch) {
    return ch == '-' || ch == '+' || ch == '?' || ch == '#' || ch == '%';
  }

  /** The rest of a {@code ${name...}} up to its closing brace, itself expanded. */
  private String closingWord(boolean keepEscapes) {
    try {
      return processUntil(new int[] {'}'}, keepEscapes).word();
    } catch (ShellExpansionException e) {
      if (cursor.peek() == CodePointCursor.EOF) {
        throw new ShellExpansionException("syntax error: missing '}'");
      }
      throw e;
    }
  }

  private String replacement(String name) {
    boolean all = cursor.peek() == '/';
    if (all) {
      cursor.next();
    }
    Scan pattern;
    try {
      pattern = processUntil(new int[] {'/', '}'}, true);
    } catch (ShellExpansionException e) {
      throw new ShellExpansionException("syntax error: missing '}'");
    }
    String with = pattern.stoppedAt() == '/' ? closingWord(true) : "";
    String value = env.getOrDefault(name, "");
    return GlobPattern.compile(pattern.word(), escape).replace(value, unescape(with), all);
  }

  /** The replacement of {@code ${v/p/r}} was scanned keeping escapes; drop them now. */
  private String unescape(String text) {
    StringBuilder out = new StringBuilder();
    CodePointCursor c = new CodePointCursor(text);
    for (int ch = c.next(); ch != CodePointCursor.EOF; ch = c.next()) {
      if (ch == escape && c.peek() != CodePointCursor.EOF) {
        ch = c.next();
      }
      out.appendCodePoint(ch);
    }
    return out.toString();
  }

  /** A variable name, a run of digits (positional) or one special parameter such as {@code $@}. */
  private String name() {
    StringBuilder name = new StringBuilder();
    while (cursor.peek() != CodePointCursor.EOF) {
      int ch = cursor.peek();
      if (name.length() == 0 && Character.isDigit(ch)) {
        while (cursor.peek() != CodePointCursor.EOF && Character.isDigit(cursor.peek())) {
          name.appendCodePoint(cursor.next());
        }
        return name.toString();
      }
      if (name.length() == 0 && "@*#?-$!0".indexOf(ch) >= 0) {
        return new String(Character.toChars(cursor.next()));
      }
      if (!Character.isLetterOrDigit(ch) && ch != '_') {
        break;
      }
      name.appendCodePoint(cursor.next());
    }
    return name.toString();
  }
}

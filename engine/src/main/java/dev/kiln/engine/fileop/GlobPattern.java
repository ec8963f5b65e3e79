package dev.kiln.engine.fileop;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * One glob in Docker's dialect ({@code *}, {@code ?}, {@code [...]}, {@code **}) over
 * slash-separated relative paths. Matching steps a set of positions in the pattern through the
 * path, in time linear in both: a backtracking matcher takes polynomial or exponential time on
 * patterns like {@code *a*a*a*b}, which a {@code .dockerignore} sent to a daemon may hold.
 */
record GlobPattern(String glob, List<Token> tokens) {
  /** One element of a compiled glob. */
  sealed interface Token {}

  /** A character itself. */
  record Literal(int codePoint) implements Token {}

  /** {@code ?}: one character but a slash. */
  record OneChar() implements Token {}

  /** {@code [...]}: one character in (or, negated, not in) the ranges. */
  record CharClass(List<int[]> ranges, boolean negated) implements Token {
    boolean contains(int codePoint) {
      boolean in = ranges.stream().anyMatch(r -> codePoint >= r[0] && codePoint <= r[1]);
      return in != negated;
    }
  }

  /** {@code *}: any characters but a slash. */
  record Star() implements Token {}

  /** {@code **} at the end or before a character other than a slash: any characters. */
  record AnyPath() implements Token {}

  /**
   * {@code **}{@code /} before more: nothing, or any characters ending in a slash. Always followed
   * by a {@link DirsInner}, the state of having read some of those characters (from which only a
   * slash leads on).
   */
  record AnyDirs() implements Token {}

  /** Inside an {@link AnyDirs}. */
  record DirsInner() implements Token {}

  GlobPattern {
    tokens = List.copyOf(tokens);
  }

  /**
   * Compiles {@code glob}.
   *
   * @throws PatternSyntaxException for an empty or reversed {@code [...]}
   */
  static GlobPattern compile(String glob) {
    int[] cps = glob.codePoints().toArray();
    List<Token> tokens = new ArrayList<>();
    for (int i = 0; i < cps.length; i++) {
      int c = cps[i];
      if (c == '*') {
        if (i + 1 < cps.length && cps[i + 1] == '*') {
          while (i + 1 < cps.length && cps[i + 1] == '*') {
            i++;
          }
          // "**/" also matches zero directories, so "a/**/b" matches "a/b".
          if (i + 1 < cps.length && cps[i + 1] == '/') {
            i++;
            if (i + 1 < cps.length) {
              tokens.add(new AnyDirs());
              tokens.add(new DirsInner());
            } else {
              tokens.add(new AnyPath());
            }
          } else {
            tokens.add(new AnyPath());
          }
        } else {
          tokens.add(new Star());
        }
      } else if (c == '?') {
        tokens.add(new OneChar());
      } else if (c == '[' && closing(cps, i) > 0) {
        int close = closing(cps, i);
        tokens.add(characterClass(glob, cps, i + 1, close));
        i = close;
      } else if (c == '\\' && i + 1 < cps.length) {
        tokens.add(new Literal(cps[++i]));
      } else {
        tokens.add(new Literal(c));
      }
    }
    return new GlobPattern(glob, tokens);
  }

  /** Whether the whole of {@code path} matches. */
  boolean matches(String path) {
    int n = tokens.size();
    BitSet states = closure(single(0));
    for (int c : path.codePoints().toArray()) {
      BitSet next = new BitSet(n + 1);
      for (int s = states.nextSetBit(0); s >= 0 && s < n; s = states.nextSetBit(s + 1)) {
        Token token = tokens.get(s);
        if (token instanceof Literal literal
            ? literal.codePoint() == c
            : token instanceof OneChar
                ? c != '/'
                : token instanceof CharClass chars && chars.contains(c)) {
          next.set(s + 1);
        } else if (token instanceof Star && c != '/' || token instanceof AnyPath) {
          next.set(s);
        } else if (token instanceof AnyDirs || token instanceof DirsInner) {
          int inner = token instanceof AnyDirs ? s + 1 : s;
          next.set(inner);
          if (c == '/') {
            next.set(inner + 1);
          }
        }
      }
      states = closure(next);
      if (states.isEmpty()) {
        return false;
      }
    }
    return states.get(n);
  }

  /** {@code states} and every state reached from them without a character (past any star). */
  private BitSet closure(BitSet states) {
    BitSet closed = (BitSet) states.clone();
    for (int s = 0; s < tokens.size(); s++) {
      Token token = tokens.get(s);
      if (closed.get(s) && (token instanceof Star || token instanceof AnyPath)) {
        closed.set(s + 1);
      } else if (closed.get(s) && token instanceof AnyDirs) {
        closed.set(s + 2); // the empty alternative: past its inner state
      }
    }
    return closed;
  }

  private static BitSet single(int state) {
    BitSet set = new BitSet();
    set.set(state);
    return set;
  }

  /** True when {@code text} contains characters that make it a glob rather than a name. */
  static boolean isGlob(String text) {
    return text.indexOf('*') >= 0
        || text.indexOf('?') >= 0
        || text.indexOf('[') >= 0
        || text.indexOf('\\') >= 0;
  }

  /** The index of the {@code ]} that closes the class opened at {@code open}, or -1. */
  private static int closing(int[] cps, int open) {
    for (int j = open + 2; j < cps.length; j++) {
      if (cps[j] == ']') {
        return j;
      }
    }
    return -1;
  }

  /**
   * The class between {@code from} and {@code to} (exclusive): members and {@code lo-hi} ranges,
   * {@code !} or {@code ^} first to negate, {@code \\} escaping a member.
   */
  private static CharClass characterClass(String glob, int[] cps, int from, int to) {
    String body = glob.substring(glob.offsetByCodePoints(0, from), glob.offsetByCodePoints(0, to));
    int j = from < to && (cps[from] == '!' || cps[from] == '^') ? from + 1 : from;
    boolean negated = j > from;
    if (j == to) {
      throw new PatternSyntaxException("empty character class", body, 0);
    }
    List<int[]> ranges = new ArrayList<>();
    while (j < to) {
      j = escaped(cps, j, to);
      int lo = cps[j++];
      int hi = lo;
      if (j + 1 < to && cps[j] == '-') {
        j = escaped(cps, j + 1, to);
        hi = cps[j++];
        if (hi < lo) {
          throw new PatternSyntaxException(
              "reversed range " + Character.toString(lo) + "-" + Character.toString(hi),
              body,
              j - from);
        }
      }
      ranges.add(new int[] {lo, hi});
    }
    return new CharClass(ranges, negated);
  }

  /** The index of the member at {@code j}: past a {@code \\} unless it ends the class. */
  private static int escaped(int[] cps, int j, int to) {
    return cps[j] == '\\' && j + 1 < to ? j + 1 : j;
  }
}

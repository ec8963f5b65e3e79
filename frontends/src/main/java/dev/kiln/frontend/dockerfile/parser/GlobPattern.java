package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/**
 * A shell glob as used by {@code ${v#p}}, {@code ${v%p}} and {@code ${v/p/r}}: {@code *}, {@code
 * ?}, {@code [abc]}, {@code [a-z]}, {@code [!x]}/{@code [^x]} and escaped literals. Matching works
 * on code points and backtracks, so no regular expression is built from user text.
 */
final class GlobPattern {
  private interface Token {}

  private enum Star implements Token {
    INSTANCE
  }

  private enum AnyChar implements Token {
    INSTANCE
  }

  private record Literal(int cp) implements Token {}

  private record CharClass(List<int[]> ranges, boolean negated) implements Token {
    boolean contains(int cp) {
      boolean in = false;
      for (int[] r : ranges) {
        if (cp >= r[0] && cp <= r[1]) {
          in = true;
          break;
        }
      }
      return in != negated;
    }
  }

  private final List<Token> tokens;

  private GlobPattern(List<Token> tokens) {
    this.tokens = tokens;
  }

  /** Compiles a pattern in which {@code escape} makes the next character literal. */
  static GlobPattern compile(String pattern, int escape) {
    int[] cps = pattern.codePoints().toArray();
    List<Token> tokens = new ArrayList<>();
    for (int i = 0; i < cps.length; i++) {
      int cp = cps[i];
      if (cp == '*') {
        if (tokens.isEmpty() || tokens.get(tokens.size() - 1) != Star.INSTANCE) {
          tokens.add(Star.INSTANCE); // ** is *: one token fewer to step through
        }
      } else if (cp == '?') {
        tokens.add(AnyChar.INSTANCE);
      } else if (cp == escape && i + 1 < cps.length) {
        tokens.add(new Literal(cps[++i]));
      } else if (cp == '[') {
        int end = classEnd(cps, i);
        if (end < 0) {
          tokens.add(new Literal(cp));
        } else {
          tokens.add(parseClass(cps, i + 1, end, escape));
          i = end;
        }
      } else {
        tokens.add(new Literal(cp));
      }
    }
    return new GlobPattern(tokens);
  }

  /** The index of the {@code ]} closing the class opened at {@code open}, or -1. */
  private static int classEnd(int[] cps, int open) {
    int i = open + 1;
    if (i < cps.length && (cps[i] == '!' || cps[i] == '^')) {
      i++;
    }
    if (i < cps.length && cps[i] == ']') {
      i++; // a leading ] is a member, as in the shell
    }
    for (; i < cps.length; i++) {
      if (cps[i] == ']') {
        return i;
      }
    }
    return -1;
  }

  private static CharClass parseClass(int[] cps, int from, int to, int escape) {
    boolean negated = cps[from] == '!' || cps[from] == '^';
    int i = negated ? from + 1 : from;
    List<int[]> ranges = new ArrayList<>();
    while (i < to) {
      int lo = cps[i] == escape && i + 1 < to ? cps[++i] : cps[i];
      if (i + 2 < to && cps[i + 1] == '-') {
        ranges.add(new int[] {lo, cps[i + 2]});
        i += 3;
      } else {
        ranges.add(new int[] {lo, lo});
        i++;
      }
    }
    return new CharClass(ranges, negated);
  }

  /** Whether the pattern matches all of {@code text[from, to)}. */
  boolean matches(int[] text, int from, int to) {
    return ends(text, from, to)[to - from];
  }

  /**
   * Where a match starting at {@code from} may end, up to {@code to}: {@code ends[k]} says whether
   * the pattern matches {@code text[from, from + k)}. Steps through the tokens keeping the set of
   * text positions each can start at, so that one pass answers for every end and many stars cost
   * time linear in their number, where backtracking would take exponential time (a hang found by
   * fuzzing); asking end by end made {@code ${v//*****x/y}} cubic in the value's length (another).
   */
  private boolean[] ends(int[] text, int from, int to) {
    int n = to - from;
    boolean[] at = new boolean[n + 1];
    at[0] = true;
    boolean any = true;
    for (Token token : tokens) {
      if (!any) {
        return at; // no position left: nothing can match
      }
      boolean[] next = new boolean[n + 1];
      any = false;
      if (token == Star.INSTANCE) {
        boolean reached = false;
        for (int p = 0; p <= n; p++) {
          reached |= at[p];
          next[p] = reached;
          any |= reached;
        }
      } else {
        for (int p = 0; p < n; p++) {
          next[p + 1] = at[p] && matchesOne(token, text[from + p]);
          any |= next[p + 1];
        }
      }
      at = next;
    }
    return at;
  }

  private static boolean matchesOne(Token token, int cp) {
    if (token == AnyChar.INSTANCE) {
      return true;
    }
    if (token instanceof Literal) {
      return ((Literal) token).cp() == cp;
    }
    return ((CharClass) token).contains(cp);
  }

  /** {@code ${v#p}} (shortest) and {@code ${v##p}} (longest): removes a matching prefix. */
  String trimPrefix(String value, boolean longest) {
    int[] cps = value.codePoints().toArray();
    boolean[] ends = ends(cps, 0, cps.length);
    for (int i = 0; i <= cps.length; i++) {
      int k = longest ? cps.length - i : i;
      if (ends[k]) {
        return new String(cps, k, cps.length - k);
      }
    }
    return value;
  }

  /** {@code ${v%p}} (shortest) and {@code ${v%%p}} (longest): removes a matching suffix. */
  String trimSuffix(String value, boolean longest) {
    int[] cps = value.codePoints().toArray();
    for (int i = 0; i <= cps.length; i++) {
      int k = longest ? i : cps.length - i;
      if (matches(cps, k, cps.length)) {
        return new String(cps, 0, k);
      }
    }
    return value;
  }

  /** {@code ${v/p/r}} and {@code ${v//p/r}}: replaces the leftmost-longest match(es). */
  String replace(String value, String replacement, boolean all) {
    int[] cps = value.codePoints().toArray();
    StringBuilder out = new StringBuilder();
    int pos = 0;
    boolean replaced = false;
    while (pos <= cps.length) {
      int end = (replaced && !all) ? -1 : longestMatchAt(cps, pos);
      if (end < 0) {
        if (pos < cps.length) {
          out.appendCodePoint(cps[pos]);
        }
        pos++;
        continue;
      }
      out.append(replacement);
      replaced = true;
      if (end == pos) {
        // an empty match: keep the character and move on, as Go's regexp does
        if (pos < cps.length) {
          out.appendCodePoint(cps[pos]);
        }
        pos++;
      } else {
        pos = end;
      }
    }
    return out.toString();
  }

  private int longestMatchAt(int[] cps, int pos) {
    boolean[] ends = ends(cps, pos, cps.length);
    for (int end = cps.length; end >= pos; end--) {
      if (ends[end - pos]) {
        return end;
      }
    }
    return -1;
  }
}

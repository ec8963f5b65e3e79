package dev.kiln.frontend.dockerfile.parser;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Joins continuation lines into instructions as BuildKit does: comments and blank lines are
 * skipped, also inside a continuation; the first line loses its leading white space, the
 * continuation lines keep theirs; directives are offered every line until they end.
 */
final class LogicalLineReader {
  private static final Pattern BACKSLASH_CONTINUATION = continuationFor('\\');
  private static final Pattern BACKTICK_CONTINUATION = continuationFor('`');

  private final SourceLines source;
  private final Directives directives;

  LogicalLineReader(SourceLines source, Directives directives) {
    this.source = source;
    this.directives = directives;
  }

  /** The next instruction's text, or empty at the end of the file. */
  Optional<LogicalLine> next() {
    while (source.hasNext()) {
      String first = process(source.next(), true);
      int start = source.lineNumber();
      String line = first;
      boolean continues = continues(line);
      if (continues) {
        line = trimContinuation(line);
      } else if (line.isEmpty()) {
        continue;
      }
      StringBuilder joined = new StringBuilder(line);
      while (continues && source.hasNext()) {
        String raw = source.next();
        String processed = process(raw, false);
        if (isComment(raw) || GoText.trimLeft(processed).isEmpty()) {
          continue;
        }
        continues = continues(processed);
        joined.append(continues ? trimContinuation(processed) : processed);
      }
      return Optional.of(new LogicalLine(joined.toString(), start, source.lineNumber()));
    }
    return Optional.empty();
  }

  private String process(String raw, boolean stripLeft) {
    String token = SourceLines.stripNewline(raw);
    if (stripLeft) {
      token = GoText.trimLeft(token);
    }
    try {
      directives.offer(token);
    } catch (ParseError e) {
      throw new LocatedError(e.getMessage(), source.lineNumber());
    }
    return token.startsWith("#") ? "" : token;
  }

  private static boolean isComment(String raw) {
    return GoText.trimLeft(SourceLines.stripNewline(raw)).startsWith("#");
  }

  /**
   * A line continues when it ends with the escape character (then blanks), unless that escape
   * character is itself escaped; a lone escape character continues too.
   */
  private boolean continues(String line) {
    return continuation().matcher(line).find();
  }

  private String trimContinuation(String line) {
    return continuation().matcher(line).replaceFirst("$1");
  }

  private Pattern continuation() {
    return directives.escape() == '`' ? BACKTICK_CONTINUATION : BACKSLASH_CONTINUATION;
  }

  private static Pattern continuationFor(char escape) {
    String e = Pattern.quote(String.valueOf(escape));
    String notE = escape == '\\' ? "[^\\\\]" : "[^`]";
    return Pattern.compile("(" + notE + ")" + e + "[ \\t]*\\z|^" + e + "[ \\t]*\\z");
  }
}

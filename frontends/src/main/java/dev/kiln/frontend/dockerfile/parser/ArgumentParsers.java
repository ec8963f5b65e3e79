package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * BuildKit's per-instruction argument forms ({@code line_parsers.go}): JSON-or-shell, JSON-or-list,
 * white-space list, single string, name=value pairs, ARG names and HEALTHCHECK.
 */
final class ArgumentParsers {
  private ArgumentParsers() {}

  /** The arguments of every instruction but ONBUILD, whose child the caller parses. */
  static Args forKeyword(String keyword, String rest, char escape) {
    switch (keyword.toLowerCase(Locale.ROOT)) {
      case "add":
      case "copy":
      case "volume":
        return jsonOrList(rest);
      case "cmd":
      case "entrypoint":
      case "run":
      case "shell":
        return jsonOrString(rest);
      case "expose":
      case "from":
        return whitespaceList(rest);
      case "env":
        return nameValues(rest, "ENV", escape);
      case "label":
        return nameValues(rest, "LABEL", escape);
      case "arg":
        return new Args(WordParser.words(rest, escape), false);
      case "healthcheck":
        return healthcheck(rest);
      default:
        return string(rest);
    }
  }

  static Args string(String rest) {
    return rest.isEmpty() ? Args.NONE : Args.of(rest);
  }

  static Args jsonOrString(String rest) {
    if (rest.isEmpty()) {
      return Args.NONE;
    }
    return JsonArgs.parse(rest).orElseGet(() -> Args.of(rest));
  }

  static Args jsonOrList(String rest) {
    return JsonArgs.parse(rest).orElseGet(() -> whitespaceList(rest));
  }

  static Args whitespaceList(String rest) {
    if (rest.isEmpty()) {
      return Args.NONE;
    }
    return new Args(Arrays.asList(SplitCommand.WHITESPACE.split(rest, -1)), false);
  }

  /**
   * {@code KEY name value} (legacy: one pair, the value is the raw rest of the line) or {@code KEY
   * a=1 b="2 3"}; each pair becomes key, value and a separator marker ("" or "=").
   */
  static Args nameValues(String rest, String instruction, char escape) {
    List<String> words = WordParser.words(rest, escape);
    if (words.isEmpty()) {
      return Args.NONE;
    }
    if (!words.get(0).contains("=")) {
      String[] parts = SplitCommand.WHITESPACE.split(rest, 2);
      if (parts.length < 2) {
        throw new ParseError(instruction + " must have two arguments");
      }
      return Args.of(parts[0], parts[1], "");
    }
    List<String> values = new ArrayList<>();
    for (String word : words) {
      int eq = word.indexOf('=');
      if (eq < 0) {
        throw new ParseError(
            "Syntax error - can't find = in "
                + GoQuote.quote(word)
                + ". Must be of the form: name=value");
      }
      values.add(word.substring(0, eq));
      values.add(word.substring(eq + 1));
      values.add("=");
    }
    return new Args(values, false);
  }

  /**
   * {@code HEALTHCHECK NONE} or {@code HEALTHCHECK CMD <json-or-shell>}: the type, then its args.
   */
  static Args healthcheck(String rest) {
    int sep = 0;
    while (sep < rest.length() && !GoText.isSpace(rest.charAt(sep))) {
      sep++;
    }
    if (sep == 0) {
      return Args.NONE;
    }
    int next = sep;
    while (next < rest.length() && GoText.isSpace(rest.charAt(next))) {
      next++;
    }
    return jsonOrString(rest.substring(next)).prepend(rest.substring(0, sep));
  }
}

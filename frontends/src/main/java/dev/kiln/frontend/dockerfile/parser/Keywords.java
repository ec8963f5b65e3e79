package dev.kiln.frontend.dockerfile.parser;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The 18 Dockerfile instructions, and the did-you-mean suggestion for a misspelt one. */
final class Keywords {
  static final List<String> ALL =
      List.of(
          "add",
          "arg",
          "cmd",
          "copy",
          "entrypoint",
          "env",
          "expose",
          "from",
          "healthcheck",
          "label",
          "maintainer",
          "onbuild",
          "run",
          "shell",
          "stopsignal",
          "user",
          "volume",
          "workdir");

  private static final int MAX_DISTANCE = 2;

  private Keywords() {}

  static boolean isKnown(String keyword) {
    return ALL.contains(keyword.toLowerCase(Locale.ROOT));
  }

  /** The closest instruction (upper-case) within edit distance 2, the first one on ties. */
  static Optional<String> suggest(String word) {
    String lower = word.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = MAX_DISTANCE + 1;
    for (String keyword : ALL) {
      int d = levenshtein(lower, keyword);
      if (d < bestDistance) {
        best = keyword;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best).map(k -> k.toUpperCase(Locale.ROOT));
  }

  static String unknownMessage(String word) {
    return "unknown instruction: "
        + word
        + suggest(word).map(s -> " (did you mean " + s + "?)").orElse("");
  }

  static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}

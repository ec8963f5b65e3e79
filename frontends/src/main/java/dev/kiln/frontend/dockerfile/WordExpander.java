package dev.kiln.frontend.dockerfile;

import java.util.List;
import java.util.Map;

/** Shell-word expansion with BuildKit's rules, as the converter needs it. */
interface WordExpander {
  /** Expands one word; a bad substitution throws the lexer's ShellExpansionException. */
  String word(String text, Map<String, String> env);

  /** Expands and splits into words. */
  List<String> words(String text, Map<String, String> env);
}

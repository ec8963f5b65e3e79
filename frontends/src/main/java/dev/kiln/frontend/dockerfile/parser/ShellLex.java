package dev.kiln.frontend.dockerfile.parser;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * BuildKit's shell-word expansion ({@code frontend/dockerfile/shell}): variables ({@code $v},
 * {@code ${v}}, {@code ${v:-w}}, {@code ${v#p}}, {@code ${v/p/r}} …), quotes and escapes. Pure: the
 * result depends only on the word and the environment given.
 */
public final class ShellLex {
  private final char escape;

  /** A lexer whose escape character is {@code \} or {@code `} (the {@code # escape=} directive). */
  public ShellLex(char escape) {
    this.escape = escape;
  }

  /** Expands {@code word} into one string; spaces between words are kept. */
  public String processWord(String word, Map<String, String> env) {
    return process(word, env).word();
  }

  /** Expands {@code word}, then splits it on unquoted white space. */
  public List<String> processWords(String word, Map<String, String> env) {
    return List.copyOf(process(word, env).words());
  }

  private ShellWordProcessor.Scan process(String word, Map<String, String> env) {
    Objects.requireNonNull(word, "word");
    Objects.requireNonNull(env, "env");
    try {
      return new ShellWordProcessor(word, env, escape).processAll();
    } catch (ShellExpansionException e) {
      throw new ShellExpansionException("failed to process \"" + word + "\": " + e.getMessage());
    }
  }
}

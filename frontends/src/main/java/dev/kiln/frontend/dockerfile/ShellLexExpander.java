package dev.kiln.frontend.dockerfile;

import dev.kiln.frontend.dockerfile.parser.ShellLex;
import java.util.List;
import java.util.Map;

/** The converter's word expansion: BuildKit's rules, through the parser package's lexer. */
final class ShellLexExpander implements WordExpander {
  private final ShellLex lex;

  ShellLexExpander(char escape) {
    this.lex = new ShellLex(escape);
  }

  @Override
  public String word(String text, Map<String, String> env) {
    return lex.processWord(text, env);
  }

  @Override
  public List<String> words(String text, Map<String, String> env) {
    return lex.processWords(text, env);
  }
}

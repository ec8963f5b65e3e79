package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits {@code ENV}/{@code LABEL}/{@code ARG} arguments into words on unquoted white space,
 * keeping the quotes and escapes in the words: they are removed later, at expansion time.
 */
final class WordParser {
  private WordParser() {}

  static List<String> words(String rest, char escape) {
    List<String> words = new ArrayList<>();
    int[] cps = rest.codePoints().toArray();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    boolean blankOk = false;
    int quote = 0;
    for (int i = 0; i < cps.length; i++) {
      int ch = cps[i];
      if (!inWord) {
        if (GoText.isSpace(ch)) {
          continue;
        }
        inWord = true;
      }
      if (quote == 0) {
        if (GoText.isSpace(ch)) {
          addWord(words, word, blankOk);
          inWord = false;
          blankOk = false;
          continue;
        }
        if (ch == '\'' || ch == '"') {
          quote = ch;
          blankOk = true;
        } else if (ch == escape) {
          if (i + 1 == cps.length) {
            continue; // a trailing escape is dropped
          }
          word.appendCodePoint(ch);
          ch = cps[++i];
        }
        word.appendCodePoint(ch);
        continue;
      }
      if (ch == quote) {
        quote = 0;
      } else if (ch == escape && quote != '\'') {
        if (i + 1 == cps.length) {
          quote = 0;
          continue;
        }
        word.appendCodePoint(ch);
        ch = cps[++i];
      }
      word.appendCodePoint(ch);
    }
    if (inWord) {
      addWord(words, word, blankOk);
    }
    return words;
  }

  private static void addWord(List<String> words, StringBuilder word, boolean blankOk) {
    if (blankOk || word.length() > 0) {
      words.add(word.toString());
    }
    word.setLength(0);
  }
}

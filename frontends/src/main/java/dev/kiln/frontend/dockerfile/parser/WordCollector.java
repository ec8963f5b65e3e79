package dev.kiln.frontend.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits expanded text into words as the shell does: unquoted white space separates words, while
 * quoted or escaped text (added "raw") never does.
 */
final class WordCollector {
  private final List<String> words = new ArrayList<>();
  private final StringBuilder word = new StringBuilder();
  private boolean inWord;

  void addChar(int cp) {
    if (GoText.isSpace(cp)) {
      if (inWord && word.length() > 0) {
        words.add(word.toString());
        word.setLength(0);
        inWord = false;
      }
    } else {
      addRawChar(cp);
    }
  }

  void addRawChar(int cp) {
    word.appendCodePoint(cp);
    inWord = true;
  }

  /** Adds expanded text (a variable's value), which is itself split on white space. */
  void addString(String text) {
    text.codePoints().forEach(this::addChar);
  }

  /** Adds quoted text, which stays in the current word even if empty or full of spaces. */
  void addRawString(String text) {
    word.append(text);
    inWord = true;
  }

  List<String> words() {
    List<String> result = new ArrayList<>(words);
    if (word.length() > 0) {
      result.add(word.toString());
    }
    return result;
  }
}

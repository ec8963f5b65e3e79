package dev.kiln.engine.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One challenge of a {@code WWW-Authenticate} header: a scheme ({@code bearer}, {@code basic},
 * lowercased) and its parameters (names lowercased, values unquoted).
 */
public record AuthChallenge(String scheme, Map<String, String> params) {
  private static final int MAX_HEADER = 8 * 1024;
  private static final int MAX_PARAMS = 32;

  public AuthChallenge {
    scheme = scheme.toLowerCase(Locale.ROOT);
    params = Map.copyOf(params);
  }

  public Optional<String> param(String name) {
    return Optional.ofNullable(params.get(name));
  }

  /**
   * Parses the challenges of a header value as RFC 7235 writes them: {@code Bearer
   * realm="https://a/token",service="a",scope="repository:x:pull", Basic realm="r"}. Quoted values
   * may hold commas and backslash escapes. Throws {@link IllegalArgumentException} saying what is
   * wrong with a malformed header.
   */
  public static List<AuthChallenge> parse(String header) {
    if (header.length() > MAX_HEADER) {
      throw new IllegalArgumentException("longer than " + MAX_HEADER + " characters");
    }
    for (int i = 0; i < header.length(); i++) {
      char c = header.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        throw new IllegalArgumentException("control character at offset " + i);
      }
    }
    return new Parser(header).challenges();
  }

  /** A recursive-descent reader over one header value. */
  private static final class Parser {
    private final String text;
    private int at;

    Parser(String text) {
      this.text = text;
    }

    List<AuthChallenge> challenges() {
      List<AuthChallenge> challenges = new ArrayList<>();
      skipSeparators();
      if (at == text.length()) {
        throw new IllegalArgumentException("no challenge");
      }
      while (at < text.length()) {
        String scheme = token();
        if (scheme.isEmpty()) {
          throw error("expected an authentication scheme");
        }
        Map<String, String> params = new LinkedHashMap<>();
        int spaces = skipSpaces();
        if (spaces > 0 && at < text.length() && text.charAt(at) != ',') {
          if (!readToken68(params)) {
            readParams(params);
          }
        }
        challenges.add(new AuthChallenge(scheme, params));
        skipSeparators();
      }
      return challenges;
    }

    /** Reads {@code name=value} pairs until the next challenge's scheme or the end. */
    private void readParams(Map<String, String> params) {
      while (true) {
        int start = at;
        String name = token();
        if (name.isEmpty()) {
          throw error("expected a parameter name");
        }
        skipSpaces();
        if (at >= text.length() || text.charAt(at) != '=') {
          at = start; // a new challenge's scheme, not a parameter
          if (params.isEmpty()) {
            throw error("expected '=' after \"" + Texts.excerpt(name) + "\"");
          }
          return;
        }
        at++;
        skipSpaces();
        boolean isQuoted = at < text.length() && text.charAt(at) == '"';
        String value = isQuoted ? quoted() : token();
        if (!isQuoted && value.isEmpty()) {
          throw error("parameter \"" + Texts.excerpt(name) + "\" has no value");
        }
        String key = name.toLowerCase(Locale.ROOT);
        if (params.putIfAbsent(key, value) != null) {
          throw error("parameter \"" + Texts.excerpt(key) + "\" is repeated");
        }
        if (params.size() > MAX_PARAMS) {
          throw error("more than " + MAX_PARAMS + " parameters");
        }
        skipSpaces();
        if (at >= text.length()) {
          return;
        }
        if (text.charAt(at) != ',') {
          throw error("expected ',' between parameters");
        }
        skipSeparators();
        if (at >= text.length()) {
          return;
        }
      }
    }

    /**
     * A token68 ({@code Negotiate abc==}), kept under the empty name: a run of token68 characters
     * and '=' padding that is the challenge's whole content. {@code realm=x} is not one.
     */
    private boolean readToken68(Map<String, String> params) {
      int start = at;
      while (at < text.length() && isToken68(text.charAt(at))) {
        at++;
      }
      if (at == start) {
        return false;
      }
      while (at < text.length() && text.charAt(at) == '=') {
        at++;
      }
      int end = at;
      skipSpaces();
      if (at >= text.length() || text.charAt(at) == ',') {
        params.put("", text.substring(start, end));
        return true;
      }
      at = start;
      return false;
    }

    private String quoted() {
      StringBuilder value = new StringBuilder();
      at++; // the opening quote
      while (at < text.length()) {
        char c = text.charAt(at++);
        if (c == '"') {
          return value.toString();
        }
        if (c == '\\') {
          if (at >= text.length()) {
            break;
          }
          c = text.charAt(at++);
        }
        value.append(c);
      }
      throw error("unterminated quoted string");
    }

    private String token() {
      int start = at;
      while (at < text.length() && isTokenChar(text.charAt(at))) {
        at++;
      }
      return text.substring(start, at);
    }

    private int skipSpaces() {
      int start = at;
      while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) {
        at++;
      }
      return at - start;
    }

    private void skipSeparators() {
      while (at < text.length()
          && (text.charAt(at) == ' ' || text.charAt(at) == '\t' || text.charAt(at) == ',')) {
        at++;
      }
    }

    private IllegalArgumentException error(String problem) {
      return new IllegalArgumentException(problem + " at offset " + at);
    }

    private static boolean isTokenChar(char c) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static boolean isToken68(char c) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "-._~+/".indexOf(c) >= 0;
    }
  }
}

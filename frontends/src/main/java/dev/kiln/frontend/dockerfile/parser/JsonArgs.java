package dev.kiln.frontend.dockerfile.parser;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JSON (exec) form {@code ["a", "b"]}. Text that is not a JSON array is not an error (the
 * caller falls back to the shell form), but a valid array holding anything other than strings is.
 */
final class JsonArgs {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private JsonArgs() {}

  static Optional<Args> parse(String rest) {
    String text = GoText.trimLeft(rest);
    if (!text.startsWith("[")) {
      return Optional.empty();
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    if (tree == null || !tree.isArray()) {
      return Optional.empty();
    }
    List<String> values = new ArrayList<>();
    for (JsonNode element : tree) {
      if (!element.isTextual()) {
        throw new ParseError(
            "when using JSON array syntax, arrays must be comprised of strings only");
      }
      values.add(element.textValue());
    }
    return Optional.of(new Args(values, true));
  }
}

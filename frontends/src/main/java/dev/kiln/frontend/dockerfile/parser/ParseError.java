package dev.kiln.frontend.dockerfile.parser;

/**
 * A parse failure before the file name and source are attached: thrown deep in the argument
 * parsers, turned into a {@link DockerfileParseException} by {@link DockerfileParser}.
 */
final class ParseError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ParseError(String message) {
    super(message);
  }
}

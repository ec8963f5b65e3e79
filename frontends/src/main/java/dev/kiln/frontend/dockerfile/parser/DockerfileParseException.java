package dev.kiln.frontend.dockerfile.parser;

import java.util.List;

/**
 * A Dockerfile the parser rejects: names the file and the 1-based line, and keeps the source lines
 * so the caller can show BuildKit's excerpt ({@link #excerpt()}).
 */
public final class DockerfileParseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String fileName;
  private final int line;
  private final String detail;
  private final List<String> lines;

  public DockerfileParseException(String fileName, int line, String detail, List<String> lines) {
    super(fileName + ":" + line + ": " + detail);
    this.fileName = fileName;
    this.line = line;
    this.detail = detail;
    this.lines = List.copyOf(lines);
  }

  public String fileName() {
    return fileName;
  }

  /** The 1-based line the error is reported at. */
  public int line() {
    return line;
  }

  /** The message without the file and line prefix. */
  public String detail() {
    return detail;
  }

  /** BuildKit's error block: the file and line, the surrounding source, then the message. */
  public String excerpt() {
    return ErrorExcerpt.render(lines, fileName, line, detail);
  }
}

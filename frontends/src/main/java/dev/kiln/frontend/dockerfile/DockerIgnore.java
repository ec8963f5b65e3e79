package dev.kiln.frontend.dockerfile;

import dev.kiln.engine.fileop.PathPatterns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The patterns of a {@code .dockerignore} with Docker's rules: one per line, {@code #} comments,
 * blank lines skipped, a leading {@code /} or {@code ./} dropped, {@code !} re-includes. The file
 * next to the Dockerfile ({@code NAME.dockerignore}) wins over the context's {@code .dockerignore}.
 */
public final class DockerIgnore {
  private DockerIgnore() {}

  /** The ignore file that applies to {@code dockerfile} in {@code context}, if there is one. */
  public static Optional<Path> find(Path context, Path dockerfile) {
    Path specific = dockerfile.resolveSibling(dockerfile.getFileName() + ".dockerignore");
    if (Files.isRegularFile(specific)) {
      return Optional.of(specific);
    }
    Path general = context.resolve(".dockerignore");
    return Files.isRegularFile(general) ? Optional.of(general) : Optional.empty();
  }

  /** The patterns that apply to {@code dockerfile} in {@code context}: none without a file. */
  public static List<String> patterns(Path context, Path dockerfile) throws IOException {
    Optional<Path> file = find(context, dockerfile);
    return file.isPresent() ? read(file.get()) : List.of();
  }

  /**
   * The patterns of {@code file}, each checked: a line that is no glob (an empty or reversed {@code
   * [...]}) is an {@link InvalidIgnoreFileException} naming the file and line.
   */
  public static List<String> read(Path file) throws IOException {
    String text = Files.readString(file);
    String[] lines = text.split("\n");
    for (int i = 0; i < lines.length; i++) {
      try {
        PathPatterns.of(parse(lines[i]));
      } catch (PathPatterns.InvalidPatternException e) {
        throw new InvalidIgnoreFileException(
            file.getFileName() + ":" + (i + 1) + ": " + e.getMessage());
      }
    }
    return parse(text);
  }

  /**
   * A {@code .dockerignore} line that is no pattern: {@code .dockerignore:3: invalid pattern …}.
   */
  public static final class InvalidIgnoreFileException extends IOException {
    private static final long serialVersionUID = 1L;

    InvalidIgnoreFileException(String message) {
      super(message);
    }
  }

  public static List<String> parse(String text) {
    List<String> patterns = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      boolean exception = line.startsWith("!");
      String pattern = exception ? line.substring(1).strip() : line;
      pattern = pattern.replaceAll("^(/|\\./)+", "").replaceAll("/+$", "");
      if (pattern.isEmpty()) {
        continue;
      }
      patterns.add(exception ? "!" + pattern : pattern);
    }
    return patterns;
  }
}

package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.Conversion;
import dev.kiln.frontend.dockerfile.DockerIgnore;
import dev.kiln.frontend.dockerfile.DockerfileConverter;
import dev.kiln.frontend.dockerfile.DockerfileError;
import dev.kiln.frontend.dockerfile.parser.DockerfileParseException;
import dev.kiln.frontend.dockerfile.parser.DockerfileParser;
import dev.kiln.frontend.dockerfile.parser.ErrorExcerpt;
import dev.kiln.frontend.dockerfile.parser.ParsedDockerfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Dockerfile build's input: the context directory and the parsed Dockerfile, read before the
 * engine starts so that a typo fails fast; converted once the engine can resolve base images.
 */
final class DockerfileInput {
  /** A problem with the input, already rendered for users (BuildKit's excerpt style). */
  static final class InputError extends Exception {
    InputError(String message) {
      super(message);
    }
  }

  private final Path context;
  private final String displayName;
  private final ParsedDockerfile parsed;
  private final BuildOptions options;

  private DockerfileInput(
      Path context, String displayName, ParsedDockerfile parsed, BuildOptions options) {
    this.context = context;
    this.displayName = displayName;
    this.parsed = parsed;
    this.options = options;
  }

  static DockerfileInput read(Path context, Path dockerfile, BuildOptions options)
      throws InputError {
    if (!Files.isDirectory(context)) {
      throw new InputError("build context " + context + " is not a directory");
    }
    String text;
    try {
      text = Files.readString(dockerfile);
    } catch (NoSuchFileException e) {
      throw new InputError("failed to read " + dockerfile + ": no such file");
    } catch (IOException e) {
      throw new InputError("failed to read " + dockerfile + ": " + e.getMessage());
    }
    String name = dockerfile.getFileName().toString();
    try {
      ParsedDockerfile parsed = DockerfileParser.parse(text, name);
      List<String> ignore = DockerIgnore.patterns(context, dockerfile);
      BuildOptions withIgnore = options.withIgnorePatterns(ignore);
      return new DockerfileInput(context.toAbsolutePath().normalize(), name, parsed, withIgnore);
    } catch (DockerfileParseException e) {
      throw new InputError(e.excerpt());
    } catch (DockerIgnore.InvalidIgnoreFileException e) {
      throw new InputError(e.getMessage());
    } catch (IOException e) {
      throw new InputError("failed to read .dockerignore: " + e.getMessage());
    }
  }

  /** The build graph, resolving base images through {@code engine} as {@code layouts} allow. */
  Conversion convert(Engine engine, LayoutPolicy layouts) throws InputError {
    try {
      return DockerfileConverter.convert(
          parsed,
          options,
          identifier -> {
            try {
              layouts.check(identifier);
            } catch (IllegalArgumentException e) {
              throw new java.io.IOException(e.getMessage(), e);
            }
            return engine.imageConfig(identifier);
          });
    } catch (DockerfileError e) {
      throw new InputError(
          ErrorExcerpt.render(parsed.lines(), displayName, e.line(), e.getMessage()));
    }
  }

  /** The host directories the build reads: the context and any local named contexts. */
  Map<String, Path> locals(Conversion conversion) {
    Map<String, Path> dirs = new HashMap<>(conversion.locals());
    dirs.put("context", context);
    return dirs;
  }
}

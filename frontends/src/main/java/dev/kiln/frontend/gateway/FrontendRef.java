package dev.kiln.frontend.gateway;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a frontend reference ({@code # syntax=REF}, {@code BUILDKIT_SYNTAX}, {@code --opt
 * source=REF}) names: Kiln's own Dockerfile frontend, or an image to run as a gateway frontend.
 */
public sealed interface FrontendRef {
  /** Kiln's Dockerfile frontend. */
  record Builtin() implements FrontendRef {}

  /**
   * An image, as a source identifier ({@code oci-layout://DIR[:TAG]} or {@code
   * docker-image://REF}).
   */
  record Image(String identifier) implements FrontendRef {}

  /** Docker's Dockerfile frontends of syntax 1 (any 1.x, labs too), which Kiln's own stands for. */
  Pattern DOCKERFILE_1 =
      Pattern.compile(
          "(?:docker\\.io/)?docker/dockerfile(?:-upstream)?(?::(1(?:\\.\\d+){0,2}(?:-labs)?|labs|latest))?(?:@sha256:[0-9a-f]{64})?");

  Pattern OTHER_DOCKERFILE =
      Pattern.compile("(?:docker\\.io/)?docker/dockerfile(?:-upstream)?:(\\S+?)(?:@.*)?");

  /** A {@code # syntax=} directive on the build file's first lines (before anything else). */
  Pattern SYNTAX = Pattern.compile("^#[ \\t]*syntax[ \\t]*=[ \\t]*(\\S+)[ \\t]*$");

  Pattern OTHER_DIRECTIVE = Pattern.compile("^#[ \\t]*[a-zA-Z][a-zA-Z0-9]*[ \\t]*=.*$");

  /** The {@code syntax} directive of a build file's text, if it has one. */
  static Optional<String> syntax(String text) {
    for (String line : text.lines().toList()) {
      String trimmed = line.strip();
      Matcher syntax = SYNTAX.matcher(trimmed);
      if (syntax.matches()) {
        return Optional.of(syntax.group(1));
      }
      if (!OTHER_DIRECTIVE.matcher(trimmed).matches()) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * What {@code ref} names: Kiln's own Dockerfile frontend for {@code docker/dockerfile:1…}, the
   * value of a named context of that name, an OCI layout, or a registry image. Throws, saying why,
   * for a Dockerfile syntax Kiln does not speak or a named context that is not an image.
   */
  static FrontendRef resolve(String ref, Map<String, String> namedContexts) {
    if (DOCKERFILE_1.matcher(ref).matches()) {
      return new Builtin();
    }
    Matcher other = OTHER_DOCKERFILE.matcher(ref);
    if (other.matches()) {
      throw new IllegalArgumentException(
          "syntax "
              + ref
              + ": Kiln's own Dockerfile frontend speaks docker/dockerfile:1 (1.x, 1-labs), not "
              + other.group(1)
              + ", and Docker's frontends cannot be pulled here");
    }
    String named = namedContexts.get(ref);
    if (named != null) {
      if (!named.startsWith("oci-layout://") && !named.startsWith("docker-image://")) {
        throw new IllegalArgumentException(
            "frontend "
                + ref
                + ": the named context is "
                + named
                + ", not an image (oci-layout://DIR or docker-image://REF)");
      }
      return new Image(named);
    }
    if (ref.startsWith("oci-layout://") || ref.startsWith("docker-image://")) {
      return new Image(ref);
    }
    if (ref.contains("://")) {
      throw new IllegalArgumentException(
          "frontend " + ref + ": use an image, oci-layout://DIR or a named context");
    }
    return new Image("docker-image://" + ref);
  }
}

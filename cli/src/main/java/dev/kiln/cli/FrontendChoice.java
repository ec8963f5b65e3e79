package dev.kiln.cli;

import dev.kiln.frontend.gateway.FrontendRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Which frontend a build file goes to (docs/gateway.md, Selecting a frontend): {@code --frontend
 * gateway --opt source=REF} first, then {@code --build-arg BUILDKIT_SYNTAX=REF}, then the file's
 * {@code # syntax=REF}. Empty without any: Kiln's Dockerfile frontend, called directly. A REF of
 * {@code docker/dockerfile:1…} is Kiln's Dockerfile frontend too, reached through the gateway API
 * in-process as an image frontend is.
 */
final class FrontendChoice {
  private FrontendChoice() {}

  static Optional<FrontendRef> select(
      Optional<String> frontend,
      Map<String, String> opts,
      Map<String, String> buildArgs,
      Map<String, String> namedContexts,
      Path buildFile) {
    Optional<String> ref;
    if (frontend.isPresent()) {
      String name = frontend.get();
      if (name.equals("dockerfile") || name.equals("dockerfile.v0")) {
        return Optional.empty();
      }
      if (!name.equals("gateway") && !name.equals("gateway.v0")) {
        throw new IllegalArgumentException(
            "--frontend " + name + ": use dockerfile or gateway (with --opt source=REF)");
      }
      ref = Optional.ofNullable(opts.get("source"));
      if (ref.isEmpty()) {
        throw new IllegalArgumentException(
            "--frontend gateway needs --opt source=REF: the frontend image");
      }
    } else if (buildArgs.containsKey("BUILDKIT_SYNTAX")) {
      ref = Optional.of(buildArgs.get("BUILDKIT_SYNTAX"));
    } else {
      try {
        ref = FrontendRef.syntax(Files.readString(buildFile));
      } catch (IOException e) {
        // The Dockerfile frontend reports an unreadable file, naming it.
        return Optional.empty();
      }
    }
    if (ref.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(FrontendRef.resolve(ref.get(), namedContexts));
  }
}

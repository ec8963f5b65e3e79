package dev.kiln.frontend.dockerfile;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The options of a Dockerfile build, as {@code docker buildx build} takes them: target stage, build
 * args, named contexts ({@code NAME=oci-layout://DIR[:tag]} or {@code NAME=/some/dir}), no-cache,
 * extra labels, and the patterns of {@code .dockerignore}.
 */
public record BuildOptions(
    Optional<String> target,
    Map<String, String> buildArgs,
    Map<String, String> namedContexts,
    boolean noCache,
    Map<String, String> labels,
    List<String> ignorePatterns) {
  public BuildOptions {
    buildArgs = Map.copyOf(buildArgs);
    namedContexts = Map.copyOf(namedContexts);
    labels = Map.copyOf(labels);
    ignorePatterns = List.copyOf(ignorePatterns);
  }

  public static BuildOptions defaults() {
    return new BuildOptions(Optional.empty(), Map.of(), Map.of(), false, Map.of(), List.of());
  }

  public BuildOptions withNamedContexts(Map<String, String> contexts) {
    return new BuildOptions(target, buildArgs, contexts, noCache, labels, ignorePatterns);
  }

  public BuildOptions withBuildArgs(Map<String, String> args) {
    return new BuildOptions(target, args, namedContexts, noCache, labels, ignorePatterns);
  }

  public BuildOptions withTarget(String stage) {
    return new BuildOptions(
        Optional.of(stage), buildArgs, namedContexts, noCache, labels, ignorePatterns);
  }
}

package dev.kiln.frontend.dockerfile;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of a Dockerfile build, as {@code docker buildx build} takes them: target stage, build
 * args, named contexts ({@code NAME=oci-layout://DIR[:tag]} or {@code NAME=/some/dir}), no-cache,
 * extra labels, the patterns of {@code .dockerignore}, the entitlements granted ({@code
 * network.host}, {@code security.insecure}, as {@code --allow} gives them), and the stages whose
 * steps ignore the cache ({@code --no-cache-filter}).
 */
public record BuildOptions(
    Optional<String> target,
    Map<String, String> buildArgs,
    Map<String, String> namedContexts,
    boolean noCache,
    Map<String, String> labels,
    List<String> ignorePatterns,
    Set<String> entitlements,
    Set<String> noCacheFilter) {
  /** The entitlements Kiln knows. */
  public static final Set<String> ENTITLEMENTS = Set.of("network.host", "security.insecure");

  public BuildOptions {
    buildArgs = Map.copyOf(buildArgs);
    namedContexts = Map.copyOf(namedContexts);
    labels = Map.copyOf(labels);
    ignorePatterns = List.copyOf(ignorePatterns);
    entitlements = Set.copyOf(entitlements);
    noCacheFilter = Set.copyOf(noCacheFilter);
    for (String entitlement : entitlements) {
      if (!ENTITLEMENTS.contains(entitlement)) {
        throw new IllegalArgumentException(
            "unknown entitlement \"" + entitlement + "\": use network.host or security.insecure");
      }
    }
  }

  /** Options without entitlements. */
  public BuildOptions(
      Optional<String> target,
      Map<String, String> buildArgs,
      Map<String, String> namedContexts,
      boolean noCache,
      Map<String, String> labels,
      List<String> ignorePatterns) {
    this(target, buildArgs, namedContexts, noCache, labels, ignorePatterns, Set.of(), Set.of());
  }

  /** Options without a no-cache filter. */
  public BuildOptions(
      Optional<String> target,
      Map<String, String> buildArgs,
      Map<String, String> namedContexts,
      boolean noCache,
      Map<String, String> labels,
      List<String> ignorePatterns,
      Set<String> entitlements) {
    this(target, buildArgs, namedContexts, noCache, labels, ignorePatterns, entitlements, Set.of());
  }

  /** The same options, with the steps of these stages ignoring the cache. */
  public BuildOptions withNoCacheFilter(Set<String> stages) {
    return new BuildOptions(
        target, buildArgs, namedContexts, noCache, labels, ignorePatterns, entitlements, stages);
  }

  public BuildOptions withIgnorePatterns(List<String> patterns) {
    return new BuildOptions(
        target, buildArgs, namedContexts, noCache, labels, patterns, entitlements, noCacheFilter);
  }

  public BuildOptions withEntitlements(Set<String> granted) {
    return new BuildOptions(
        target, buildArgs, namedContexts, noCache, labels, ignorePatterns, granted, noCacheFilter);
  }

  public static BuildOptions defaults() {
    return new BuildOptions(Optional.empty(), Map.of(), Map.of(), false, Map.of(), List.of());
  }

  public BuildOptions withNamedContexts(Map<String, String> contexts) {
    return new BuildOptions(
        target, buildArgs, contexts, noCache, labels, ignorePatterns, entitlements, noCacheFilter);
  }

  public BuildOptions withBuildArgs(Map<String, String> args) {
    return new BuildOptions(
        target, args, namedContexts, noCache, labels, ignorePatterns, entitlements, noCacheFilter);
  }

  public BuildOptions withTarget(String stage) {
    return new BuildOptions(
        Optional.of(stage),
        buildArgs,
        namedContexts,
        noCache,
        labels,
        ignorePatterns,
        entitlements,
        noCacheFilter);
  }
}

package dev.kiln.engine.graph;

import java.util.List;

/**
 * Brings outside content into the graph: {@code scratch}, {@code local://NAME}, {@code
 * oci-layout://DIR[:tag|@digest]}, and later {@code docker-image://}, {@code git://}, {@code
 * https://}.
 */
public record SourceOp(
    String identifier, List<String> includePatterns, List<String> excludePatterns) implements Op {
  public SourceOp {
    if (identifier == null || identifier.isBlank()) {
      throw new IllegalArgumentException("source identifier is missing");
    }
    includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
    excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
  }

  public static SourceOp of(String identifier) {
    return new SourceOp(identifier, List.of(), List.of());
  }

  /** The scheme before {@code ://}, or the whole identifier for {@code scratch}. */
  public String scheme() {
    int at = identifier.indexOf("://");
    return at < 0 ? identifier : identifier.substring(0, at);
  }

  /** What follows {@code ://}. */
  public String location() {
    int at = identifier.indexOf("://");
    return at < 0 ? "" : identifier.substring(at + 3);
  }

  @Override
  public String summary() {
    return identifier;
  }
}

package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Brings outside content into the graph: {@code scratch}, {@code local://NAME}, {@code
 * oci-layout://DIR[:tag|@digest]}, {@code http(s)://URL}, and later {@code docker-image://} and
 * {@code git://}.
 */
public record SourceOp(
    String identifier,
    List<String> includePatterns,
    List<String> excludePatterns,
    // Omitted from JSON when empty, so that sources written before it keep their digests.
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> attrs)
    implements Op {
  /** The checksum an {@code http(s)://} download must have ({@code sha256:...}). */
  public static final String HTTP_CHECKSUM = "http.checksum";

  /** The name an {@code http(s)://} download is saved under. */
  public static final String HTTP_FILENAME = "http.filename";

  public SourceOp {
    if (identifier == null || identifier.isBlank()) {
      throw new IllegalArgumentException("source identifier is missing");
    }
    includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
    excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
    attrs = attrs == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(attrs));
  }

  public SourceOp(String identifier, List<String> includePatterns, List<String> excludePatterns) {
    this(identifier, includePatterns, excludePatterns, Map.of());
  }

  public static SourceOp of(String identifier) {
    return new SourceOp(identifier, List.of(), List.of());
  }

  public Optional<String> attr(String name) {
    return Optional.ofNullable(attrs.get(name));
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

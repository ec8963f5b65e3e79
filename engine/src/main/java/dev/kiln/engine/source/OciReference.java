package dev.kiln.engine.source;

import dev.kiln.engine.graph.Digest;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A parsed {@code oci-layout://DIR[:tag|@sha256:...]} identifier; exactly one of tag and digest.
 */
public record OciReference(Path dir, Optional<String> tag, Optional<Digest> digest) {
  public static final String SCHEME = "oci-layout://";
  public static final String DEFAULT_TAG = "latest";

  /** Parses {@code identifier}, which must name an absolute directory. */
  public static OciReference parse(String identifier) {
    if (!identifier.startsWith(SCHEME)) {
      throw new IllegalArgumentException("not an oci-layout identifier: " + identifier);
    }
    var location =
        dev.kiln.engine.graph.LayoutLocation.parse(identifier.substring(SCHEME.length()));
    Path dir = dir(location.dir(), identifier);
    if (location.digest().isPresent()) {
      return new OciReference(
          dir, Optional.empty(), Optional.of(Digest.parse(location.digest().get())));
    }
    if (location.tag().isPresent() && location.tag().get().isEmpty()) {
      throw new IllegalArgumentException(identifier + ": empty tag after ':'");
    }
    return new OciReference(dir, Optional.of(location.tag().orElse(DEFAULT_TAG)), Optional.empty());
  }

  private static Path dir(String text, String identifier) {
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException(identifier + ": the layout directory must be absolute");
    }
    return Path.of(text);
  }

  @Override
  public String toString() {
    return SCHEME + dir + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }
}

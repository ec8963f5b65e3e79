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
    String location = identifier.substring(SCHEME.length());
    int at = location.lastIndexOf('@');
    if (at >= 0 && location.startsWith("sha256:", at + 1)) {
      return new OciReference(
          dir(location.substring(0, at), identifier),
          Optional.empty(),
          Optional.of(Digest.parse(location.substring(at + 1))));
    }
    // A ':' belongs to the directory unless what follows it has no '/', as in "/a:b/c".
    int colon = location.lastIndexOf(':');
    if (colon >= 0 && location.indexOf('/', colon) < 0) {
      String tag = location.substring(colon + 1);
      if (tag.isEmpty()) {
        throw new IllegalArgumentException(identifier + ": empty tag after ':'");
      }
      return new OciReference(
          dir(location.substring(0, colon), identifier), Optional.of(tag), Optional.empty());
    }
    return new OciReference(dir(location, identifier), Optional.of(DEFAULT_TAG), Optional.empty());
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

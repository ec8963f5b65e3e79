package dev.kiln.engine.graph;

import java.util.Optional;

/**
 * What follows {@code oci-layout://}: a directory, then a {@code :tag} or an {@code @sha256:…}
 * digest. A {@code :} belongs to the directory unless what follows it has no {@code /}, as in
 * {@code /a:b/c}.
 */
public record LayoutLocation(String dir, Optional<String> tag, Optional<String> digest) {
  public static LayoutLocation parse(String location) {
    int at = location.lastIndexOf('@');
    if (at >= 0 && location.startsWith("sha256:", at + 1)) {
      return new LayoutLocation(
          location.substring(0, at), Optional.empty(), Optional.of(location.substring(at + 1)));
    }
    int colon = location.lastIndexOf(':');
    if (colon >= 0 && location.indexOf('/', colon) < 0) {
      return new LayoutLocation(
          location.substring(0, colon),
          Optional.of(location.substring(colon + 1)),
          Optional.empty());
    }
    return new LayoutLocation(location, Optional.empty(), Optional.empty());
  }
}

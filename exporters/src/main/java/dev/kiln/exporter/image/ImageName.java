package dev.kiln.exporter.image;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image name as Docker references spell it, normalised: {@code app} is {@code
 * docker.io/library/app:latest}. Gives the three forms archives need: the full name (containerd's
 * {@code io.containerd.image.name}), the tag alone (OCI's {@code
 * org.opencontainers.image.ref.name}) and the familiar {@code app:latest} that Docker's {@code
 * RepoTags} hold.
 */
public record ImageName(String domain, String path, Optional<String> tag, Optional<String> digest) {
  private static final String DOCKER_HUB = "docker.io";
  private static final Pattern PATH =
      Pattern.compile(
          "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  /** Parses {@code text}; throws IllegalArgumentException naming what is wrong. */
  public static ImageName parse(String text) {
    String rest = text;
    Optional<String> digest = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Optional.of(rest.substring(at + 1));
      if (!DIGEST.matcher(digest.get()).matches()) {
        throw invalid(text, "the digest after '@' is not sha256:<64 hex digits>");
      }
      rest = rest.substring(0, at);
    }
    Optional<String> tag = Optional.empty();
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = Optional.of(rest.substring(colon + 1));
      if (!TAG.matcher(tag.get()).matches()) {
        throw invalid(text, "\"" + tag.get() + "\" is not a valid tag");
      }
      rest = rest.substring(0, colon);
    }
    String domain = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        domain = first;
        rest = rest.substring(slash + 1);
      }
    }
    if (domain.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    if (!PATH.matcher(rest).matches()) {
      throw invalid(text, "the repository must be lowercase letters, digits and separators");
    }
    if (tag.isEmpty() && digest.isEmpty()) {
      tag = Optional.of("latest");
    }
    return new ImageName(domain, rest, tag, digest);
  }

  private static IllegalArgumentException invalid(String text, String why) {
    return new IllegalArgumentException("invalid image name \"" + text + "\": " + why);
  }

  /** {@code docker.io/library/app:latest}. */
  public String full() {
    return domain + "/" + path + suffix();
  }

  /** {@code app:latest}, as Docker shows names from Docker Hub. */
  public String familiar() {
    String repository = domain + "/" + path;
    if (domain.equals(DOCKER_HUB)) {
      repository = path.startsWith("library/") ? path.substring("library/".length()) : path;
    }
    return repository + suffix();
  }

  /** The OCI reference name: the tag, or the full name when there is no tag. */
  public String ociRefName() {
    return tag.orElse(full());
  }

  private String suffix() {
    return tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }
}

package dev.kiln.engine.registry;

import dev.kiln.engine.graph.Digest;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised image reference, {@code registry/repository[:tag][@digest]}, parsed with Docker's
 * grammar and defaults ({@code busybox} is {@code docker.io/library/busybox:latest}).
 */
public record ImageReference(
    String registry, String repository, Optional<String> tag, Optional<Digest> digest) {
  /** The registry of references without one, as Docker names it. */
  public static final String DOCKER_HUB = "docker.io";

  public static final String DEFAULT_TAG = "latest";

  // Docker's limits: a name of at most 255 characters; anything far longer is not worth reading.
  private static final int MAX_NAME = 255;
  private static final int MAX_INPUT = 1024;
  // Docker's tag grammar; unambiguous, so safe from catastrophic backtracking.
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern HEX64 = Pattern.compile("[a-f0-9]{64}");

  public ImageReference {
    String problem =
        problemWithRegistry(registry)
            .or(() -> problemWithRepository(repository))
            .or(() -> tag.flatMap(ImageReference::problemWithTag))
            .orElse(null);
    if (problem != null) {
      throw new IllegalArgumentException(
          "invalid reference \"" + registry + "/" + repository + "\": " + problem);
    }
    if ((registry + "/" + repository).length() > MAX_NAME) {
      throw new IllegalArgumentException(
          "invalid reference \""
              + Texts.excerpt(registry + "/" + repository)
              + "\": repository name is longer than "
              + MAX_NAME
              + " characters");
    }
  }

  /**
   * Parses {@code text} as Docker does: a name without a registry is on Docker Hub, a Docker Hub
   * name without a namespace is in {@code library/}, and a reference with neither tag nor digest
   * means {@code :latest}.
   */
  public static ImageReference parse(String text) {
    if (text.isEmpty()) {
      throw invalid(text, "empty reference");
    }
    if (text.length() > MAX_INPUT) {
      throw invalid(text, "longer than " + MAX_INPUT + " characters");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x21 || c == 0x7f) {
        throw invalid(text, "contains a space or control character at offset " + i);
      }
    }
    String rest = text;
    Optional<Digest> digest = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      String digestText = rest.substring(at + 1);
      if (!digestText.startsWith("sha256:") || !HEX64.matcher(digestText.substring(7)).matches()) {
        throw invalid(text, "the digest must be sha256: and 64 lowercase hexadecimal digits");
      }
      digest = Optional.of(Digest.parse(digestText));
      rest = rest.substring(0, at);
    }
    Optional<String> tag = Optional.empty();
    int colon = rest.lastIndexOf(':');
    if (colon >= 0 && rest.indexOf('/', colon) < 0) {
      String tagText = rest.substring(colon + 1);
      Optional<String> problem = problemWithTag(tagText);
      if (problem.isPresent()) {
        throw invalid(text, problem.get());
      }
      tag = Optional.of(tagText);
      rest = rest.substring(0, colon);
    }
    if (rest.isEmpty()) {
      throw invalid(text, "no repository name");
    }
    if (HEX64.matcher(rest).matches()) {
      throw invalid(text, "a repository name cannot be 64 hexadecimal digits (an image id)");
    }
    String registry = DOCKER_HUB;
    String repository = rest;
    int slash = rest.indexOf('/');
    if (slash >= 0 && looksLikeRegistry(rest.substring(0, slash))) {
      registry = rest.substring(0, slash);
      repository = rest.substring(slash + 1);
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && repository.indexOf('/') < 0) {
      repository = "library/" + repository;
    }
    String name = repository;
    Optional<String> problem = problemWithRegistry(registry).or(() -> problemWithRepository(name));
    if (problem.isPresent()) {
      throw invalid(text, problem.get());
    }
    if ((registry + "/" + repository).length() > MAX_NAME) {
      throw invalid(text, "repository name is longer than " + MAX_NAME + " characters");
    }
    if (tag.isEmpty() && digest.isEmpty()) {
      tag = Optional.of(DEFAULT_TAG);
    }
    return new ImageReference(registry, repository, tag, digest);
  }

  /** {@code registry/repository}, without tag or digest. */
  public String name() {
    return registry + "/" + repository;
  }

  /** What the manifests endpoint is asked for: the digest when there is one, else the tag. */
  public String manifestReference() {
    return digest.map(Digest::toString).orElseGet(() -> tag.orElse(DEFAULT_TAG));
  }

  /** This repository with {@code newTag} and no digest. */
  public ImageReference withTag(String newTag) {
    return new ImageReference(registry, repository, Optional.of(newTag), Optional.empty());
  }

  /** This reference pinned to {@code newDigest} (its tag kept for display). */
  public ImageReference withDigest(Digest newDigest) {
    return new ImageReference(registry, repository, tag, Optional.of(newDigest));
  }

  /** Another repository of the same registry. */
  public ImageReference inRepository(String otherRepository) {
    return new ImageReference(registry, otherRepository, Optional.empty(), Optional.empty());
  }

  /** The short form users type: {@code busybox:latest}, {@code user/app:1}, {@code host/app}. */
  public String familiar() {
    String shown = name();
    if (registry.equals(DOCKER_HUB)) {
      shown = repository.startsWith("library/") ? repository.substring(8) : repository;
    }
    return shown + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }

  @Override
  public String toString() {
    return name() + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }

  /** Docker's rule: the first component names a registry when it could not be a user name. */
  private static boolean looksLikeRegistry(String component) {
    return component.contains(".")
        || component.contains(":")
        || component.equals("localhost")
        || !component.toLowerCase(Locale.ROOT).equals(component);
  }

  private static IllegalArgumentException invalid(String text, String problem) {
    return new IllegalArgumentException(
        "invalid reference \"" + Texts.excerpt(text) + "\": " + problem);
  }

  private static Optional<String> problemWithTag(String tag) {
    if (tag.isEmpty()) {
      return Optional.of("empty tag after ':'");
    }
    if (!TAG.matcher(tag).matches()) {
      return Optional.of(
          "tag \""
              + Texts.excerpt(tag)
              + "\" must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.'"
              + " or '-'");
    }
    return Optional.empty();
  }

  /** Checks {@code host[:port]}, {@code [ipv6][:port]}; empty when valid. */
  static Optional<String> problemWithRegistry(String registry) {
    if (registry.isEmpty()) {
      return Optional.of("empty registry host");
    }
    String host = registry;
    String port = null;
    if (registry.startsWith("[")) {
      int close = registry.indexOf(']');
      if (close < 0) {
        return Optional.of("registry host \"" + Texts.excerpt(registry) + "\" lacks its ']'");
      }
      String inner = registry.substring(1, close);
      if (inner.isEmpty()
          || !inner.chars().allMatch(c -> c == ':' || Character.digit(c, 16) >= 0)
          || !inner.contains(":")) {
        return Optional.of(
            "registry host \"" + Texts.excerpt(registry) + "\" is not an IPv6 address");
      }
      String after = registry.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          return Optional.of("registry host \"" + Texts.excerpt(registry) + "\" is malformed");
        }
        port = after.substring(1);
      }
      return port == null ? Optional.empty() : problemWithPort(registry, port);
    }
    int colon = registry.indexOf(':');
    if (colon >= 0) {
      host = registry.substring(0, colon);
      port = registry.substring(colon + 1);
    }
    if (host.isEmpty()) {
      return Optional.of("empty registry host");
    }
    for (String label : host.split("\\.", -1)) {
      if (!validDomainLabel(label)) {
        return Optional.of(
            "registry host \""
                + Texts.excerpt(registry)
                + "\" must be dot-separated letters, digits and inner '-'");
      }
    }
    return port == null ? Optional.empty() : problemWithPort(registry, port);
  }

  private static Optional<String> problemWithPort(String registry, String port) {
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
      return Optional.of("registry \"" + Texts.excerpt(registry) + "\" has an invalid port");
    }
    int value = Integer.parseInt(port);
    if (value < 1 || value > 65535) {
      return Optional.of("registry \"" + Texts.excerpt(registry) + "\" has an invalid port");
    }
    return Optional.empty();
  }

  private static boolean validDomainLabel(String label) {
    if (label.isEmpty() || label.length() > 63) {
      return false;
    }
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      boolean alnum = isAsciiAlnum(c) || (c >= 'A' && c <= 'Z');
      boolean inner = c == '-' && i > 0 && i < label.length() - 1;
      if (!alnum && !inner) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks Docker's path grammar by hand (its regular expression backtracks exponentially in Java's
   * engine on hostile input): components of lowercase letters and digits, joined by one {@code .},
   * one or two {@code _}, or any run of {@code -}.
   */
  static Optional<String> problemWithRepository(String repository) {
    if (repository.isEmpty()) {
      return Optional.of("no repository name");
    }
    if (!repository.toLowerCase(Locale.ROOT).equals(repository)) {
      return Optional.of("repository name must be lowercase");
    }
    for (String component : repository.split("/", -1)) {
      if (component.isEmpty()) {
        return Optional.of(
            "repository name has an empty path component (\"//\" or a trailing '/')");
      }
      if (!validPathComponent(component)) {
        return Optional.of(
            "path component \""
                + Texts.excerpt(component)
                + "\" must be lowercase letters and digits, separated by '.', '_', '__' or '-'");
      }
    }
    return Optional.empty();
  }

  private static boolean validPathComponent(String component) {
    int i = 0;
    int n = component.length();
    while (true) {
      int start = i;
      while (i < n && isAsciiAlnum(component.charAt(i))) {
        i++;
      }
      if (i == start) {
        return false; // a component starts, and every separator is followed, by a letter or digit
      }
      if (i == n) {
        return true;
      }
      char c = component.charAt(i);
      if (c == '.') {
        i++;
      } else if (c == '_') {
        i += i + 1 < n && component.charAt(i + 1) == '_' ? 2 : 1;
      } else if (c == '-') {
        while (i < n && component.charAt(i) == '-') {
          i++;
        }
      } else {
        return false;
      }
    }
  }

  private static boolean isAsciiAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
}

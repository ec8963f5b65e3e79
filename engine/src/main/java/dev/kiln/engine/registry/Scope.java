package dev.kiln.engine.registry;

import java.util.ArrayList;
import java.util.List;

/**
 * The access a request needs, in token-scope form: {@code repository:NAME:pull} or {@code
 * pull,push}, plus pull on the source repository of a cross-repository mount.
 */
record Scope(List<String> resources) {
  Scope {
    resources = List.copyOf(resources);
  }

  /** For {@code /v2/}: no repository. */
  static Scope none() {
    return new Scope(List.of());
  }

  static Scope pull(String repository) {
    return new Scope(List.of("repository:" + repository + ":pull"));
  }

  static Scope push(String repository) {
    return new Scope(List.of("repository:" + repository + ":pull,push"));
  }

  Scope plusPull(String repository) {
    List<String> more = new ArrayList<>(resources);
    more.add("repository:" + repository + ":pull");
    return new Scope(more);
  }

  boolean pushes() {
    return resources.stream().anyMatch(r -> r.endsWith(",push"));
  }

  /** How tokens for it are cached. */
  String key() {
    return String.join(" ", resources);
  }
}

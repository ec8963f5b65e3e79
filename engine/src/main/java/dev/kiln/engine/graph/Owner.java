package dev.kiln.engine.graph;

/** An owner given by name or number, as in {@code --chown=user:group}; group may be empty. */
public record Owner(String user, String group) {
  public Owner {
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException("owner user is missing");
    }
    group = group == null ? "" : group;
  }

  /** Parses {@code user[:group]}. */
  public static Owner parse(String spec) {
    int colon = spec.indexOf(':');
    return colon < 0
        ? new Owner(spec, "")
        : new Owner(spec.substring(0, colon), spec.substring(colon + 1));
  }
}

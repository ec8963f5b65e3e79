package dev.kiln.engine.placement;

/**
 * A committed layer of the cluster, named by the node that made it ({@code HOST:PORT}, its cluster
 * address) and its id there: every copy of it on other nodes shares this name. {@code bytes} is its
 * apparent size.
 */
public record LayerRef(String node, String id, long bytes) {
  /** The name every copy shares. */
  String name() {
    return node + "/" + id;
  }

  /** As written beside a fetched copy: {@code NODE ID BYTES}. */
  String line() {
    return node + " " + id + " " + bytes;
  }

  /** A {@link #line()} read back; empty when it is damaged. */
  static java.util.Optional<LayerRef> parse(String line) {
    String[] parts = line.trim().split(" ");
    if (parts.length != 3 || !parts[1].matches("\\d{1,18}") || !parts[2].matches("\\d{1,18}")) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new LayerRef(parts[0], parts[1], Long.parseLong(parts[2])));
  }
}

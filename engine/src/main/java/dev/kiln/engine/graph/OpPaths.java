package dev.kiln.engine.graph;

import java.nio.file.Path;

/** Anchors host paths in source identifiers to the directory of the definition file. */
final class OpPaths {
  private OpPaths() {}

  static Op anchor(Op op, Path base) {
    if (base == null || !(op instanceof SourceOp source) || !source.scheme().equals("oci-layout")) {
      return op;
    }
    String location = source.location();
    if (location.startsWith("/")) {
      return op;
    }
    String absolute = base.resolve(location).normalize().toString();
    return new SourceOp(
        "oci-layout://" + absolute, source.includePatterns(), source.excludePatterns());
  }
}

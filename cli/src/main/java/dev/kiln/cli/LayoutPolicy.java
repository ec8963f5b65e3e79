package dev.kiln.cli;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.source.OciReference;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Which OCI layout directories ({@code oci-layout://DIR}) a build may read: any, on the build's own
 * host; through a daemon, only the daemon's copies of what the client sent, since a path in a
 * Dockerfile or a build graph names a directory of the daemon's host, which is not the client's to
 * read.
 */
record LayoutPolicy(Optional<List<Path>> roots) {
  /** Any directory: a build on its user's own host. */
  static final LayoutPolicy ANY = new LayoutPolicy(Optional.empty());

  /** Only directories inside {@code roots}. */
  static LayoutPolicy within(Collection<Path> roots) {
    return new LayoutPolicy(
        Optional.of(roots.stream().map(r -> r.toAbsolutePath().normalize()).toList()));
  }

  /** Throws, saying why, unless {@code identifier} (any source identifier) may be read. */
  void check(String identifier) {
    if (roots.isEmpty() || !identifier.startsWith(OciReference.SCHEME)) {
      return;
    }
    Path dir = OciReference.parse(identifier).dir().toAbsolutePath().normalize();
    if (roots.get().stream().noneMatch(dir::startsWith)) {
      throw new IllegalArgumentException(
          identifier
              + ": through a daemon, a layout comes from the client: --build-context"
              + " NAME=oci-layout://DIR (a path here would be the daemon's)");
    }
  }

  /** {@link #check}s every source of {@code definition}. */
  void check(Definition definition) {
    for (Vertex vertex : definition.vertices().values()) {
      if (vertex.op() instanceof SourceOp source) {
        check(source.identifier());
      }
    }
  }
}

package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.Vertex;
import java.nio.file.Path;
import java.util.Map;

/** Gives the solver a runner for a vertex; the only way the solver reaches ops. */
@FunctionalInterface
public interface Resolver {
  /**
   * A runner for {@code vertex} of a build whose {@code local://NAME} sources read {@code locals};
   * throws {@link dev.kiln.engine.graph.InvalidDefinitionException} for ops it cannot run.
   */
  OpRunner resolve(Digest digest, Vertex vertex, Map<String, Path> locals);
}

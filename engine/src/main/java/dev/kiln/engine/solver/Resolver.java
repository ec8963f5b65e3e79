package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.Vertex;

/** Gives the solver a runner for a vertex; the only way the solver reaches ops. */
@FunctionalInterface
public interface Resolver {
  /**
   * A runner for {@code vertex} of a build that gave {@code inputs} (local directories, secrets,
   * ssh agents); throws {@link dev.kiln.engine.graph.InvalidDefinitionException} for ops it cannot
   * run.
   */
  OpRunner resolve(Digest digest, Vertex vertex, BuildInputs inputs);
}

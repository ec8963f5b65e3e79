package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.Vertex;

/** Gives the solver a runner for a vertex; the only way the solver reaches ops. */
@FunctionalInterface
public interface Resolver {
  /** Throws {@link dev.kiln.engine.graph.InvalidDefinitionException} for ops it cannot run. */
  OpRunner resolve(Digest digest, Vertex vertex);
}

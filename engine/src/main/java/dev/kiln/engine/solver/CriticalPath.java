package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.Input;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many vertices at the most follow each vertex of a definition before its root: a step with a
 * long chain after it (the stage a multi-stage build's first {@code COPY --from} reads) runs before
 * one whose result is needed last, so that the chain starts early instead of waiting for every
 * stage (list scheduling by the longest path to the end, as in HLFET).
 */
final class CriticalPath {
  private CriticalPath() {}

  /** Each vertex's height: 0 for the root, one more than its highest consumer's otherwise. */
  static Map<Digest, Integer> heights(Definition definition, List<Digest> order) {
    Map<Digest, Integer> heights = new HashMap<>();
    // Reversed, a topological order names every consumer before its inputs.
    for (int i = order.size() - 1; i >= 0; i--) {
      Digest digest = order.get(i);
      int height = heights.getOrDefault(digest, 0);
      heights.putIfAbsent(digest, height);
      for (Input input : definition.vertex(digest).inputs()) {
        heights.merge(input.vertex(), height + 1, Math::max);
      }
    }
    return heights;
  }
}

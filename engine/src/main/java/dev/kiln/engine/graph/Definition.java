package dev.kiln.engine.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A build graph: vertices keyed by their digest, and the output that is the build's result. A
 * definition is valid by construction: every input exists, there are no cycles, and every key is
 * its vertex's digest.
 */
public record Definition(Map<Digest, Vertex> vertices, Input root) {
  public Definition {
    vertices = Collections.unmodifiableMap(new LinkedHashMap<>(vertices));
    for (var entry : vertices.entrySet()) {
      Digest actual = VertexDigests.of(entry.getValue());
      if (!actual.equals(entry.getKey())) {
        throw new InvalidDefinitionException(
            "vertex " + entry.getKey() + " does not match its content (digest " + actual + ")");
      }
      for (Input input : entry.getValue().inputs()) {
        if (!vertices.containsKey(input.vertex())) {
          throw new InvalidDefinitionException(
              "vertex \""
                  + entry.getValue().name()
                  + "\" ("
                  + entry.getKey().shortForm()
                  + ") names missing input "
                  + input.vertex());
        }
      }
    }
    if (!vertices.containsKey(root.vertex())) {
      throw new InvalidDefinitionException("the root names missing vertex " + root.vertex());
    }
  }

  public Vertex vertex(Digest digest) {
    Vertex vertex = vertices.get(digest);
    if (vertex == null) {
      throw new IllegalArgumentException("no vertex " + digest);
    }
    return vertex;
  }

  /** The same graph with every vertex ignoring the cache ({@code --no-cache}); digests stay. */
  public Definition ignoringCache() {
    Map<Digest, Vertex> all = new LinkedHashMap<>();
    vertices.forEach(
        (digest, v) ->
            all.put(digest, new Vertex(v.op(), v.inputs(), v.meta().withIgnoreCache(true))));
    return new Definition(all, root);
  }

  /** The vertices the root needs, inputs before the vertices that use them. */
  public List<Digest> topologicalOrder() {
    List<Digest> order = new ArrayList<>();
    Set<Digest> seen = new HashSet<>();
    visit(root.vertex(), seen, order);
    return order;
  }

  private void visit(Digest digest, Set<Digest> seen, List<Digest> order) {
    // Iterative would be safer for very deep graphs; digests make cycles impossible here.
    if (!seen.add(digest)) {
      return;
    }
    for (Input input : vertices.get(digest).inputs()) {
      visit(input.vertex(), seen, order);
    }
    order.add(digest);
  }
}

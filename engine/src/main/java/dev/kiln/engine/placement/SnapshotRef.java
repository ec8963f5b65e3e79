package dev.kiln.engine.placement;

import java.util.List;

/**
 * A snapshot somewhere in the cluster: its layers, lowest first, each named by the node that made
 * it (the name every copy shares), and the cluster address of a node holding all of them.
 */
public record SnapshotRef(List<LayerRef> layers, String heldBy) {
  public SnapshotRef {
    layers = List.copyOf(layers);
  }

  /** Whether {@code node} holds {@code layer} of this snapshot. */
  boolean held(LayerRef layer, String node) {
    return heldBy.equals(node) || layer.node().equals(node);
  }
}

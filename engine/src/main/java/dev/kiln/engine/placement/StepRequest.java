package dev.kiln.engine.placement;

import java.util.List;

/**
 * A step a coordinator places on a worker: its exec op as canonical JSON and the op's digest, its
 * cache key and what the key was made of (so the worker records and reuses the result, unless the
 * step ignores the cache), and its inputs' snapshots and where each node serves its layers.
 */
public record StepRequest(
    String name,
    String opJson,
    String opDigest,
    String key,
    List<String> inputKeys,
    boolean uncached,
    List<SnapshotRef> inputs,
    java.util.Map<String, String> dataUrls) {
  public StepRequest {
    inputKeys = List.copyOf(inputKeys);
    inputs = List.copyOf(inputs);
    dataUrls = java.util.Map.copyOf(dataUrls);
  }

  /** This request with where each node serves its layers, as the coordinator knows it. */
  StepRequest withDataUrls(java.util.Map<String, String> urls) {
    return new StepRequest(name, opJson, opDigest, key, inputKeys, uncached, inputs, urls);
  }

  /** This request reading {@code others} instead of its inputs (the same outputs, made again). */
  StepRequest withInputs(List<SnapshotRef> others) {
    return new StepRequest(name, opJson, opDigest, key, inputKeys, uncached, others, dataUrls);
  }

  /**
   * How many bytes of the inputs' layers {@code node} holds, each layer counted once: those it
   * made, those of a snapshot it holds, and those {@code known} to be there (layers named in
   * earlier steps it ran).
   */
  long bytesHeldBy(String node, java.util.Set<String> known) {
    java.util.Set<LayerRef> held = new java.util.HashSet<>();
    for (SnapshotRef input : inputs) {
      for (LayerRef layer : input.layers()) {
        if (input.held(layer, node) || known.contains(layer.name())) {
          held.add(layer);
        }
      }
    }
    return held.stream().mapToLong(LayerRef::bytes).sum();
  }
}

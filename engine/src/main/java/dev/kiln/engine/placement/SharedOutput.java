package dev.kiln.engine.placement;

import java.util.Map;

/**
 * A step's output as the cluster shares it: its snapshot, and where the nodes that hold its layers
 * serve them (as the coordinator that ran it knew), for a coordinator that has not met them.
 */
public record SharedOutput(SnapshotRef ref, Map<String, String> dataUrls) {
  public SharedOutput {
    dataUrls = Map.copyOf(dataUrls);
  }
}

package dev.kiln.engine.cluster;

import java.util.List;
import java.util.Optional;

/** The cluster as one node sees it: its name, this node, the leader and every member. */
public record ClusterStatus(
    String name, String self, Optional<String> leader, List<ClusterMember> members) {
  public ClusterStatus {
    members = List.copyOf(members);
  }
}

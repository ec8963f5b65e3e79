package dev.kiln.engine.cluster;

import java.util.List;

/** One member as {@code kiln cluster status} shows it. */
public record ClusterMember(
    String address,
    String status,
    boolean reachable,
    List<String> roles,
    int slots,
    String version) {
  public ClusterMember {
    roles = List.copyOf(roles);
  }
}

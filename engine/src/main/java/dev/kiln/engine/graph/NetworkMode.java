package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a step reaches the network. */
public enum NetworkMode {
  /** Own network namespace with loopback only. */
  @JsonProperty("none")
  NONE,
  /** The host's network: needs the {@code network.host} entitlement. */
  @JsonProperty("host")
  HOST,
  /**
   * The worker's default network, a Dockerfile's plain {@code RUN}: today the host's, as BuildKit's
   * without CNI (its {@code --oci-worker-net=host}), but granted to every build.
   */
  @JsonProperty("default")
  DEFAULT,
  /** Own namespace with user-mode egress (slirp4netns or pasta). */
  @JsonProperty("sandbox")
  SANDBOX;

  /** Whether a step in this mode has the host's network (no namespace of its own). */
  public boolean sharesHost() {
    return this == HOST || this == DEFAULT;
  }
}

package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a step reaches the network. */
public enum NetworkMode {
  /** Own network namespace with loopback only. */
  @JsonProperty("none")
  NONE,
  /** The host's network. */
  @JsonProperty("host")
  HOST,
  /** Own namespace with user-mode egress (slirp4netns or pasta). */
  @JsonProperty("sandbox")
  SANDBOX
}

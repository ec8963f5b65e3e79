package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The kind of a mount of an exec step. */
public enum MountType {
  @JsonProperty("bind")
  BIND,
  @JsonProperty("cache")
  CACHE,
  @JsonProperty("tmpfs")
  TMPFS,
  @JsonProperty("secret")
  SECRET,
  @JsonProperty("ssh")
  SSH
}

package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The privilege a step runs with. */
public enum SecurityMode {
  /** Docker's default capability set. */
  @JsonProperty("sandbox")
  SANDBOX,
  /** All capabilities (needs the {@code security.insecure} entitlement). */
  @JsonProperty("insecure")
  INSECURE
}

package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How concurrent steps share a cache mount, as BuildKit's {@code sharing=} option. */
public enum CacheSharing {
  /** Every step uses the same directory at the same time. */
  @JsonProperty("shared")
  SHARED,
  /** A step gets a directory of its own while the shared one is in use. */
  @JsonProperty("private")
  PRIVATE,
  /** One step at a time; the others wait. */
  @JsonProperty("locked")
  LOCKED
}

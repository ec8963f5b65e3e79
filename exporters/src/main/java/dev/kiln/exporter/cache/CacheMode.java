package dev.kiln.exporter.cache;

/**
 * Which records a cache export carries, as BuildKit's {@code mode}: {@code MIN} those of the
 * result's own layers (the final stage), {@code MAX} every step of the build.
 */
public enum CacheMode {
  MIN,
  MAX
}

package dev.kiln.engine.cache;

import java.util.Optional;

/**
 * What the cache knows of a committed layer: the layer it was made on ({@code parent}, empty for a
 * bottom layer), its apparent size (files' bytes, directories not counted) and when it was first
 * recorded. Layers never change once committed, so the size is measured once and kept beside the
 * records in LevelDB; garbage collection then sizes the cache without walking every layer.
 */
public record LayerMeta(String id, Optional<String> parent, long bytes, long createdMillis) {}

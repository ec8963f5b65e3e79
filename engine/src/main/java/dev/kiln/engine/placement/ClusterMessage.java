package dev.kiln.engine.placement;

/**
 * Marks a message that crosses nodes: Pekko serializes it as JSON with Jackson (engine
 * reference.conf), never with Java serialization.
 */
public interface ClusterMessage {}

package dev.kiln.engine.job;

/**
 * Marks what Pekko serialises as JSON with Jackson ({@code pekko.actor.serialization-bindings} in
 * the engine's reference.conf): build jobs' events, snapshots and commands. Never Java
 * serialization.
 */
public interface JobSerializable {}

package dev.kiln.engine.snapshot;

import java.nio.file.Path;

/**
 * A committed, immutable layer directory in overlayfs format (whiteouts are 0:0 character devices,
 * opaque directories carry {@code user.overlay.opaque=y}).
 */
public record Layer(String id, Path dir) {}

package dev.kiln.engine.snapshot;

import dev.kiln.engine.graph.Digest;

/**
 * The image blob a layer was unpacked from: exporters reuse it as it is (never recompressed) when
 * the layer ends up in an image. {@code diffId} is the digest of the uncompressed tar.
 */
public record LayerBlob(String mediaType, Digest digest, long size, Digest diffId) {}

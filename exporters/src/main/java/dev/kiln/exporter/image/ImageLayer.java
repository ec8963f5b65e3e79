package dev.kiln.exporter.image;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.image.Descriptor;

/** A layer of a built image: its blob's descriptor and the digest of its uncompressed tar. */
public record ImageLayer(Descriptor descriptor, Digest diffId) {}

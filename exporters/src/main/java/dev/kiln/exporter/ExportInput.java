package dev.kiln.exporter;

import dev.kiln.engine.Engine;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.util.Optional;

/**
 * What an exporter gets from a finished build: the result, the snapshotter that reads its layers,
 * the content store (where image blobs are and go), and the image configuration the frontend gave
 * (OCI JSON; none for a build graph).
 */
public record ExportInput(
    Snapshot result, Snapshotter snapshotter, ContentStore content, Optional<String> imageConfig) {
  /** {@code result} of a build on {@code engine}, with no image configuration. */
  public static ExportInput of(Engine engine, Snapshot result) {
    return new ExportInput(result, engine.snapshotter(), engine.content(), Optional.empty());
  }
}

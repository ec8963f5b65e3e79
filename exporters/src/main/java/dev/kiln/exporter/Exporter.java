package dev.kiln.exporter;

import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;

/** Turns a build result into an artifact. Blocking: run it on an I/O pool. */
public interface Exporter {
  /** Writes {@code result}, read through {@code snapshotter}, to the exporter's destination. */
  void export(Snapshot result, Snapshotter snapshotter) throws IOException;

  /** Where the artifact went, for users. */
  String describe();
}

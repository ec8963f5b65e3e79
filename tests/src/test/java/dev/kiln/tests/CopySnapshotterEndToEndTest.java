package dev.kiln.tests;

import dev.kiln.engine.snapshot.SnapshotterMode;

/** The end-to-end scenarios on the copying snapshotter, the fallback without overlay mounts. */
class CopySnapshotterEndToEndTest extends EndToEndScenarios {
  @Override
  SnapshotterMode mode() {
    return SnapshotterMode.COPY;
  }
}

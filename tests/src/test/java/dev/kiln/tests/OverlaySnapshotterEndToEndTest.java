package dev.kiln.tests;

import dev.kiln.engine.snapshot.SnapshotterMode;

/** The end-to-end scenarios on overlay mounts, the default where the host allows them. */
class OverlaySnapshotterEndToEndTest extends EndToEndScenarios {
  @Override
  SnapshotterMode mode() {
    return SnapshotterMode.OVERLAY;
  }
}

package dev.kiln.engine.snapshot;

/** How snapshots become root filesystems. */
public enum SnapshotterMode {
  /** overlayfs mounts of the layer stack: no copies, the fast path. */
  OVERLAY,
  /**
   * Plain directories: a stack is copied into a directory and a step's changes are found by
   * comparing trees afterwards. Slower; for hosts where overlay mounts are not allowed.
   */
  COPY;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}

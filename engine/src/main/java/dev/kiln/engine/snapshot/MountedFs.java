package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A snapshot visible at {@link #path()}; closing it ends the view: unmounts an overlay and removes
 * its mount point, or, for a copied view, records its changes and deletes the copies.
 */
public final class MountedFs implements AutoCloseable {
  /** What closing the view does. */
  @FunctionalInterface
  interface Closer {
    void close() throws IOException;
  }

  private final Path path;
  private final Closer closer;
  private boolean closed;

  private MountedFs(Path path, Closer closer) {
    this.path = path;
    this.closer = closer;
  }

  /** A directory used as is: nothing to undo. */
  static MountedFs direct(Path dir) {
    return new MountedFs(dir, () -> {});
  }

  /** An overlay mounted at {@code mountPoint} by the caller. */
  static MountedFs overlay(Path mountPoint) {
    return new MountedFs(mountPoint, () -> unmount(mountPoint));
  }

  /** A plain directory built for this view; {@code closer} finishes and removes it. */
  static MountedFs copied(Path dir, Closer closer) {
    return new MountedFs(dir, closer);
  }

  public Path path() {
    return path;
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    closer.close();
  }

  /** Unmounts {@code mountPoint} (lazily if busy) and removes the then empty directory. */
  static void unmount(Path mountPoint) throws IOException {
    OverlayMount.unmount(mountPoint);
    // Only rmdir: a recursive delete of a mount point that is somehow still mounted would
    // destroy the layers below it.
    Files.deleteIfExists(mountPoint);
  }
}

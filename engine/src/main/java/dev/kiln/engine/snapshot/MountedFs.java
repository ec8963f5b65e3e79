package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A snapshot visible at {@link #path()}; closing it unmounts the overlay, if one was needed, and
 * removes its mount point.
 */
public final class MountedFs implements AutoCloseable {
  private final Path path;
  private final Optional<Path> mountPoint;
  private boolean closed;

  private MountedFs(Path path, Optional<Path> mountPoint) {
    this.path = path;
    this.mountPoint = mountPoint;
  }

  /** A directory used as is: nothing to unmount. */
  static MountedFs direct(Path dir) {
    return new MountedFs(dir, Optional.empty());
  }

  /** An overlay mounted at {@code mountPoint} by the caller. */
  static MountedFs overlay(Path mountPoint) {
    return new MountedFs(mountPoint, Optional.of(mountPoint));
  }

  public Path path() {
    return path;
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed || mountPoint.isEmpty()) {
      return;
    }
    unmount(mountPoint.get());
    closed = true;
  }

  /** Unmounts {@code mountPoint} (lazily if busy) and removes the then empty directory. */
  static void unmount(Path mountPoint) throws IOException {
    OverlayMount.unmount(mountPoint);
    // Only rmdir: a recursive delete of a mount point that is somehow still mounted would
    // destroy the layers below it.
    Files.deleteIfExists(mountPoint);
  }
}

package dev.kiln.engine.snapshot;

import java.nio.file.Path;

/** A layer being written: its upper directory and overlayfs work directory, not yet committed. */
public record ActiveLayer(String id, Path dir) {
  public Path upper() {
    return dir.resolve("fs");
  }

  public Path work() {
    return dir.resolve("work");
  }
}

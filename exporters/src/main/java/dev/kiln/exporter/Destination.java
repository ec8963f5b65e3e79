package dev.kiln.exporter;

import java.io.OutputStream;
import java.nio.file.Path;

/** Where an archive exporter writes: a file, a directory (an unpacked layout), or a stream. */
public sealed interface Destination {
  /** A file, written to a temporary sibling and renamed into place once complete. */
  record File(Path path) implements Destination {
    public File {
      path = path.toAbsolutePath().normalize();
    }
  }

  /** A directory, written as a temporary sibling and renamed into place once complete. */
  record Directory(Path path) implements Destination {
    public Directory {
      path = path.toAbsolutePath().normalize();
    }
  }

  /** A stream the caller owns ({@code dest=-}: standard output); flushed, never closed. */
  record Stream(OutputStream out, String name) implements Destination {}

  /** For users: where the archive went. */
  default String describe() {
    if (this instanceof File file) {
      return file.path().toString();
    }
    if (this instanceof Directory directory) {
      return directory.path().toString();
    }
    return ((Stream) this).name();
  }
}

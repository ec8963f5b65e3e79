package dev.kiln.exporter.image;

import java.io.IOException;
import java.nio.file.Path;

/** Receives the files of an image layout, in order: entries of a tar archive or a directory. */
public interface LayoutSink {
  void directory(String name) throws IOException;

  void file(String name, byte[] bytes) throws IOException;

  /** A copy of {@code source} (a content store blob of {@code size} bytes). */
  void file(String name, long size, Path source) throws IOException;
}

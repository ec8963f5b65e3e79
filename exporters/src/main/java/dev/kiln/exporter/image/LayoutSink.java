package dev.kiln.exporter.image;

import java.io.IOException;
import java.io.InputStream;

/** Receives the files of an image layout, in order: entries of a tar archive or a directory. */
public interface LayoutSink {
  void directory(String name) throws IOException;

  void file(String name, byte[] bytes) throws IOException;

  /** A file of {@code size} bytes read from {@code content}, which the sink closes. */
  void file(String name, long size, InputStream content) throws IOException;
}

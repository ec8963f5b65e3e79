package dev.kiln.exporter.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes layout files under a directory (relative names only, as the layout writers give). */
public final class DirectoryLayoutSink implements LayoutSink {
  private final Path root;

  public DirectoryLayoutSink(Path root) {
    this.root = root;
  }

  @Override
  public void directory(String name) throws IOException {
    Files.createDirectories(root.resolve(name));
  }

  @Override
  public void file(String name, byte[] bytes) throws IOException {
    Files.write(root.resolve(name), bytes);
  }

  @Override
  public void file(String name, long size, InputStream content) throws IOException {
    try (content;
        OutputStream out = Files.newOutputStream(root.resolve(name))) {
      long copied = content.transferTo(out);
      if (copied != size) {
        throw new IOException(name + " has " + copied + " bytes, expected " + size);
      }
    }
  }
}

package dev.kiln.exporter.image;

import java.io.IOException;
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
  public void file(String name, long size, Path source) throws IOException {
    // A copy, not a hard link: the layout is the user's to change, the store's blobs are not.
    Files.copy(source, root.resolve(name));
    if (Files.size(root.resolve(name)) != size) {
      throw new IOException(source + " does not have the " + size + " bytes expected");
    }
  }
}

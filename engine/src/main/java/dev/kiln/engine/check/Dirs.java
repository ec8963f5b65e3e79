package dev.kiln.engine.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Directory listings for the checks. */
final class Dirs {
  private Dirs() {}

  /** The entries of {@code dir} by name (none when it is missing), so reports read the same. */
  static List<Path> sortedEntries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.sorted().toList();
    }
  }
}

package dev.kiln.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Searches of exported trees and archives for what an attack must not have brought there. */
final class TreeSearch {
  private TreeSearch() {}

  /**
   * Regular files below {@code dir} (links not followed) whose bytes, or gzip-decompressed bytes,
   * hold {@code text}.
   */
  static List<Path> filesHolding(Path dir, String text) throws IOException {
    List<Path> holding = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) paths::iterator) {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
            && Bytes.holds(Files.readAllBytes(file), text)) {
          holding.add(file);
        }
      }
    }
    return holding;
  }

  /**
   * Entries of the tar {@code archive} whose bytes, or gzip-decompressed bytes, hold {@code text}.
   */
  static List<String> entriesHolding(Path archive, String text) throws IOException {
    List<String> holding = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(archive))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (Bytes.holds(tar.readAllBytes(), text)) {
          holding.add(e.getName());
        }
      }
    }
    return holding;
  }

  /** Non-empty regular files below {@code dir} with the bytes of a file of {@code hostEtc}. */
  static List<Path> filesAsInTheHostsEtc(Path dir, HostTree hostEtc) throws IOException {
    String empty = "file " + HostTree.sha256(new byte[0]);
    var hostFiles = new java.util.HashSet<>(hostEtc.entries().values());
    List<Path> same = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) paths::iterator) {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          String entry = "file " + HostTree.sha256(Files.readAllBytes(file));
          if (!entry.equals(empty) && hostFiles.contains(entry)) {
            same.add(file);
          }
        }
      }
    }
    return same;
  }

  /** Names below {@code dir} (links not followed) that start with {@code prefix}. */
  static List<String> namesStartingWith(Path dir, String prefix) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths
          .filter(p -> p.getFileName().toString().startsWith(prefix))
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .toList();
    }
  }
}

package dev.kiln.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a host directory tree holds, entry by entry (links read, never followed; files by sha256),
 * so that an attack's test can show it changed nothing there.
 */
record HostTree(Path root, Map<String, String> entries) {
  /** Reads {@code root} now. */
  static HostTree of(Path root) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      paths.forEach(path -> entries.put(root.relativize(path).toString(), describe(path)));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return new HostTree(root, entries);
  }

  /** The same tree read again: equal when nothing below {@code root} changed. */
  HostTree now() throws IOException {
    return of(root);
  }

  private static String describe(Path path) {
    try {
      if (Files.isSymbolicLink(path)) {
        return "link " + Files.readSymbolicLink(path);
      }
      if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        return "dir";
      }
      if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
        return "file " + sha256(Files.readAllBytes(path));
      }
      return "other";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The unique names an attack tries to create outside its build ({@code kiln-pwned-<random>...}),
 * and the host directories where they must never appear: the host's {@code /etc}, {@code /}, and
 * any the test adds. Closing removes whatever did appear, so that a failing test leaves no file of
 * its own in the host's {@code /etc}.
 */
final class Pwned implements AutoCloseable {
  private final String prefix;
  private final Set<Path> watched = new LinkedHashSet<>(List.of(Path.of("/etc"), Path.of("/")));

  Pwned() {
    byte[] random = new byte[6];
    ThreadLocalRandom.current().nextBytes(random);
    prefix = "kiln-pwned-" + HexFormat.of().formatHex(random);
  }

  /** The attack's name for one of its files. */
  String name(String what) {
    return prefix + "-" + what;
  }

  /** Also watches {@code dirs} and every parent directory of each. */
  Pwned watching(Path... dirs) {
    for (Path dir : dirs) {
      for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
        watched.add(p);
      }
    }
    return this;
  }

  /** The watched entries named by this attack; empty when it was confined. */
  List<Path> found() throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path dir : watched) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> entries = Files.list(dir)) {
        entries.filter(p -> p.getFileName().toString().startsWith(prefix)).forEach(found::add);
      }
    }
    return found;
  }

  void assertNoneOnTheHost() throws IOException {
    assertEquals(List.of(), found(), "the attack's files reached the host");
  }

  @Override
  public void close() throws IOException {
    for (Path path : found()) {
      FileTrees.deleteRecursively(path);
    }
  }
}

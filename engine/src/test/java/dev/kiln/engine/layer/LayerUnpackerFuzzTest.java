package dev.kiln.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.engine.snapshot.FileTrees;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

/**
 * Any bytes given as a layer tar unpack into the layer directory, or are refused with a message
 * naming the tar entry: never another exception, and never a change next to the layer, where a
 * sentinel directory sits. Seeds: {@code LayerUnpackerFuzzTestInputs/unpack/}.
 */
class LayerUnpackerFuzzTest {
  private static final FileTime SENTINEL_TIME = FileTime.fromMillis(1_000_000_000_000L);
  private static final Path TEMP = temp();
  private static final Path LAYER = TEMP.resolve("layer");
  private static final Path SENTINEL = TEMP.resolve("sentinel");

  private static Path temp() {
    try {
      Path dir = Files.createTempDirectory("kiln-layer-fuzz");
      Path sentinel = Files.createDirectory(dir.resolve("sentinel"));
      Files.writeString(sentinel.resolve("secret"), "untouched");
      Files.setLastModifiedTime(sentinel.resolve("secret"), SENTINEL_TIME);
      Files.setLastModifiedTime(sentinel, SENTINEL_TIME);
      return dir;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest
  void unpack(byte[] tar) throws IOException {
    Files.createDirectory(LAYER);
    try {
      LayerUnpacker.unpack(new ByteArrayInputStream(tar), LAYER, DeviceNodes.SKIP);
    } catch (IOException e) {
      String message = String.valueOf(e.getMessage());
      assertTrue(message.startsWith("tar entry ") || message.contains("layer entry \""), message);
    } finally {
      try {
        assertNothingChangedOutside();
      } finally {
        FileTrees.deleteRecursively(LAYER);
      }
    }
  }

  private static void assertNothingChangedOutside() throws IOException {
    assertEquals(List.of("layer", "sentinel"), names(TEMP));
    assertEquals(List.of("secret"), names(SENTINEL));
    assertEquals("untouched", Files.readString(SENTINEL.resolve("secret")));
    assertEquals(SENTINEL_TIME, Files.getLastModifiedTime(SENTINEL.resolve("secret")));
    assertEquals(SENTINEL_TIME, Files.getLastModifiedTime(SENTINEL));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

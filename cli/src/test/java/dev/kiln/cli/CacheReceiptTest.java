package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheReceiptTest {
  @TempDir Path temp;

  @Test
  void blobsMoveInAndTheIndexIsReplacedLast() throws IOException {
    Path target = layout("target", "old-index", "kept");
    Path received = layout("received", "new-index", "new");

    CacheReceipt.moveIn(received, target);

    assertEquals("new-index", Files.readString(target.resolve("index.json")));
    assertTrue(Files.exists(target.resolve("blobs/sha256/" + Digest.sha256("kept").hex())));
    assertTrue(Files.exists(target.resolve("blobs/sha256/" + Digest.sha256("new").hex())));
  }

  @Test
  void aDamagedOrStrangeBlobLeavesTheLayoutAsItWas() throws IOException {
    Path target = layout("target", "old-index", "kept");
    Path damaged = layout("damaged", "new-index", "new");
    Files.writeString(
        damaged.resolve("blobs/sha256/" + Digest.sha256("new").hex()), "not what it says");
    Path strange = layout("strange", "new-index", "new");
    Files.writeString(strange.resolve("blobs/sha256/../../index.json.x"), "x");
    Files.createSymbolicLink(
        strange.resolve("blobs/sha256/" + "0".repeat(64)), Path.of("/etc/passwd"));
    Path noIndex = layout("no-index", "new-index", "new");
    Files.delete(noIndex.resolve("index.json"));

    for (Path received : new Path[] {damaged, strange}) {
      IOException e = assertThrows(IOException.class, () -> CacheReceipt.moveIn(received, target));
      assertTrue(
          e.getMessage().contains("damaged") || e.getMessage().contains("no blob"), e.getMessage());
      assertEquals("old-index", Files.readString(target.resolve("index.json")));
    }
    assertThrows(IOException.class, () -> CacheReceipt.moveIn(noIndex, target));
    assertEquals("old-index", Files.readString(target.resolve("index.json")));
    assertFalse(Files.exists(target.resolve("blobs/sha256/" + "0".repeat(64))));
  }

  private Path layout(String name, String index, String blob) throws IOException {
    Path dir = temp.resolve(name);
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(dir.resolve("index.json"), index);
    Files.writeString(dir.resolve("blobs/sha256/" + Digest.sha256(blob).hex()), blob);
    return dir;
  }
}

package dev.kiln.engine.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentStoreTest {
  private static final byte[] DATA = "hello blob".getBytes(StandardCharsets.UTF_8);

  @TempDir Path root;

  @Test
  void ingestWithMatchingDigestStoresBlob() throws IOException {
    ContentStore store = new ContentStore(root);
    Digest digest =
        store.ingest(new ByteArrayInputStream(DATA), Optional.of(Digest.sha256(DATA)), 100);

    assertEquals(Digest.sha256(DATA), digest);
    assertTrue(store.has(digest));
    assertEquals(root.resolve("content/blobs/sha256/" + digest.hex()), store.path(digest).get());
    try (InputStream in = store.open(digest)) {
      assertArrayEquals(DATA, in.readAllBytes());
    }
    store.verify(digest);
  }

  @Test
  void digestMismatchNamesBothDigestsAndLeavesNothingBehind() throws IOException {
    ContentStore store = new ContentStore(root);
    Digest wrong = Digest.sha256("other");

    IOException e =
        assertThrows(
            IOException.class,
            () -> store.ingest(new ByteArrayInputStream(DATA), Optional.of(wrong), 100));

    assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(Digest.sha256(DATA).toString()), e.getMessage());
    assertFalse(store.has(Digest.sha256(DATA)));
    assertEquals(0, count(root.resolve("content/ingest")));
    assertEquals(0, count(root.resolve("content/blobs/sha256")));
  }

  @Test
  void contentLongerThanTheLimitIsRejected() throws IOException {
    ContentStore store = new ContentStore(root);

    assertThrows(
        IOException.class, () -> store.ingest(new ByteArrayInputStream(DATA), Optional.empty(), 3));
    assertEquals(0, count(root.resolve("content/ingest")));
  }

  @Test
  void ingestingTheSameBlobTwiceIsIdempotent() throws IOException {
    ContentStore store = new ContentStore(root);
    Digest first = store.ingest(new ByteArrayInputStream(DATA), Optional.empty(), 100);
    Digest second = store.ingest(new ByteArrayInputStream(DATA), Optional.empty(), 100);

    assertEquals(first, second);
    assertEquals(1, count(root.resolve("content/blobs/sha256")));
  }

  @Test
  void concurrentIngestsOfOneBlobAllSucceed() throws Exception {
    ContentStore store = new ContentStore(root);
    byte[] big = new byte[1 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Digest>> tasks = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        tasks.add(
            () ->
                store.ingest(
                    new ByteArrayInputStream(big), Optional.of(Digest.sha256(big)), big.length));
      }
      for (Future<Digest> result : pool.invokeAll(tasks)) {
        assertEquals(Digest.sha256(big), result.get());
      }
    } finally {
      pool.shutdownNow();
    }
    store.verify(Digest.sha256(big));
    assertEquals(0, count(root.resolve("content/ingest")));
  }

  @Test
  void verifyDetectsACorruptedBlob() throws IOException {
    ContentStore store = new ContentStore(root);
    Digest digest = store.ingest(new ByteArrayInputStream(DATA), Optional.empty(), 100);
    Files.writeString(store.path(digest).get(), "tampered");

    IOException e = assertThrows(IOException.class, () -> store.verify(digest));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.count();
    }
  }

  @Test
  void theTempFilesOfInterruptedIngestsGoAndResumableDownloadsStay() throws Exception {
    ContentStore store = new ContentStore(root);
    Path ingest = root.resolve("content").resolve("ingest");
    Path halfWritten = java.nio.file.Files.writeString(ingest.resolve("ingest-42.tmp"), "half");
    Path partial =
        java.nio.file.Files.writeString(ingest.resolve("0".repeat(64) + ".partial"), "resume");
    Digest stored =
        store.ingest(
            new java.io.ByteArrayInputStream(
                "kept".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            java.util.Optional.empty(),
            4);

    org.junit.jupiter.api.Assertions.assertEquals(1, store.removeInterruptedIngests());
    org.junit.jupiter.api.Assertions.assertFalse(java.nio.file.Files.exists(halfWritten));
    org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.exists(partial));
    org.junit.jupiter.api.Assertions.assertTrue(store.has(stored), "stored blobs are untouched");
  }
}

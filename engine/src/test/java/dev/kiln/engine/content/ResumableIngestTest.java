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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumableIngestTest {
  private static final byte[] DATA = data(200_000);
  private static final Digest DIGEST = Digest.sha256(DATA);

  @TempDir Path root;

  @Test
  void anInterruptedIngestContinuesWhereItStopped() throws IOException {
    ContentStore store = new ContentStore(root);
    try (ResumableIngest first = store.resume(DIGEST, DATA.length)) {
      first.append(new ByteArrayInputStream(DATA, 0, 70_000));
      assertThrows(IOException.class, first::commit);
    }
    assertFalse(store.has(DIGEST), "nothing under blobs/ before the ingest completes");
    assertEquals(0, count(root.resolve("content/blobs/sha256")));

    try (ResumableIngest second = new ContentStore(root).resume(DIGEST, DATA.length)) {
      assertEquals(70_000, second.offset());
      second.append(new ByteArrayInputStream(DATA, 70_000, DATA.length - 70_000));
      second.commit();
    }

    store.verify(DIGEST);
    try (InputStream in = store.open(DIGEST)) {
      assertArrayEquals(DATA, in.readAllBytes());
    }
    assertEquals(0, count(root.resolve("content/ingest")));
  }

  @Test
  void aBreakingStreamKeepsWhatArrived() throws IOException {
    ContentStore store = new ContentStore(root);
    try (ResumableIngest ingest = store.resume(DIGEST, DATA.length)) {
      assertThrows(IOException.class, () -> ingest.append(breaksAfter(DATA, 50_000)));
      assertEquals(50_000, ingest.offset());
    }
    try (ResumableIngest ingest = store.resume(DIGEST, DATA.length)) {
      assertEquals(50_000, ingest.offset());
    }
  }

  @Test
  void wrongContentIsForgottenAndNeverStored() throws IOException {
    ContentStore store = new ContentStore(root);
    byte[] wrong = DATA.clone();
    wrong[100] ^= 1;
    try (ResumableIngest ingest = store.resume(DIGEST, DATA.length)) {
      ingest.append(new ByteArrayInputStream(wrong));
      IOException e = assertThrows(IOException.class, ingest::commit);
      assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
      assertEquals(0, ingest.offset());
    }
    assertFalse(store.has(DIGEST));
    assertEquals(0, count(root.resolve("content/blobs/sha256")));
    assertEquals(0, count(root.resolve("content/ingest")));
  }

  @Test
  void contentLongerThanTheDescriptorSaysIsRefused() throws IOException {
    ContentStore store = new ContentStore(root);
    try (ResumableIngest ingest = store.resume(DIGEST, 10)) {
      IOException e =
          assertThrows(IOException.class, () -> ingest.append(new ByteArrayInputStream(DATA)));
      assertTrue(e.getMessage().contains("larger than"), e.getMessage());
      assertEquals(0, ingest.offset());
    }
  }

  @Test
  void aPartialFileLongerThanTheBlobStartsOver() throws IOException {
    ContentStore store = new ContentStore(root);
    Files.write(root.resolve("content/ingest/" + DIGEST.hex() + ".partial"), data(300_000));
    try (ResumableIngest ingest = store.resume(DIGEST, DATA.length)) {
      assertEquals(0, ingest.offset());
      ingest.append(new ByteArrayInputStream(DATA));
      ingest.commit();
    }
    store.verify(DIGEST);
  }

  @Test
  void aBlobAlreadyStoredIsComplete() throws IOException {
    ContentStore store = new ContentStore(root);
    store.ingest(new ByteArrayInputStream(DATA), java.util.Optional.of(DIGEST), DATA.length);
    try (ResumableIngest ingest = store.resume(DIGEST, DATA.length)) {
      assertTrue(ingest.complete());
    }
    assertEquals(0, count(root.resolve("content/ingest")));
  }

  @Test
  void aSecondWriterWaitsAndFindsTheBlobComplete() throws Exception {
    ContentStore store = new ContentStore(root);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CountDownLatch waiting = new CountDownLatch(1);
      Future<Boolean> second;
      try (ResumableIngest first = store.resume(DIGEST, DATA.length)) {
        second =
            pool.submit(
                () -> {
                  waiting.countDown();
                  try (ResumableIngest ingest = store.resume(DIGEST, DATA.length)) {
                    return ingest.complete();
                  }
                });
        waiting.await();
        first.append(new ByteArrayInputStream(DATA));
        first.commit();
      }
      assertTrue(second.get());
    } finally {
      pool.shutdownNow();
    }
  }

  private static InputStream breaksAfter(byte[] data, int bytes) {
    return new InputStream() {
      private int position;

      @Override
      public int read() throws IOException {
        if (position == bytes) {
          throw new IOException("connection reset");
        }
        return data[position++] & 0xff;
      }
    };
  }

  private static byte[] data(int length) {
    byte[] data = new byte[length];
    for (int i = 0; i < length; i++) {
      data[i] = (byte) (i * 7 + i / 251);
    }
    return data;
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.count();
    }
  }
}

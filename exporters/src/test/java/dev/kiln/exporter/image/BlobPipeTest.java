package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobPipeTest {
  @TempDir Path root;

  private long files(String dir) throws IOException {
    try (Stream<Path> entries = Files.list(root.resolve(dir))) {
      return entries.count();
    }
  }

  @Test
  void whatTheWriterWritesIsStoredUnderItsDigest() throws Exception {
    ContentStore content = new ContentStore(root);
    byte[] data = new byte[5 << 20];
    new Random(5).nextBytes(data);
    BlobPipe.Stored<String> stored =
        BlobPipe.ingest(
            content,
            out -> {
              for (int off = 0; off < data.length; off += 100_000) {
                out.write(data, off, Math.min(100_000, data.length - off));
              }
              return "done";
            });
    assertEquals("done", stored.produced());
    assertEquals(Digest.sha256(data), stored.digest());
    assertEquals(data.length, stored.size());
    assertEquals(1, files("content/blobs/sha256"));
  }

  @Test
  void aFailingWriterLeavesNothingInTheStoreAndItsErrorIsReported() throws Exception {
    // Failing after a few bytes (still buffered) and after many (already handed over): the store
    // must never take what came before the failure for the whole blob.
    for (int size : new int[] {1000, 3 << 20}) {
      ContentStore content = new ContentStore(root);
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  BlobPipe.ingest(
                      content,
                      out -> {
                        out.write(new byte[size]);
                        out.close(); // as try-with-resources around a compressor does
                        throw new IOException("layer file vanished");
                      }));
      assertEquals("writing the blob failed: layer file vanished", e.getMessage());
      assertEquals(0, files("content/blobs/sha256"), "nothing stored after " + size + " bytes");
      assertEquals(0, files("content/ingest"), "no temporary file is left");
    }
  }
}

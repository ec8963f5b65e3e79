package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class ParallelGzipOutputStreamTest {
  private static byte[] gzip(byte[] data, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 1, threads)) {
      // Odd write sizes cross chunk boundaries at every offset.
      for (int off = 0; off < data.length; off += 77_777) {
        gz.write(data, off, Math.min(77_777, data.length - off));
      }
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @Test
  void membersConcatenateIntoOneGzipStreamOfTheInput() throws IOException {
    byte[] data = new byte[ParallelGzipOutputStream.CHUNK * 3 + 12_345];
    new Random(7).nextBytes(data);
    for (int i = 0; i < data.length / 2; i++) {
      data[i] = (byte) ('a' + i % 7);
    }
    assertArrayEquals(data, gunzip(gzip(data, 2)));
  }

  @Test
  void theBytesDoNotDependOnTheNumberOfThreads() throws IOException {
    byte[] data = new byte[ParallelGzipOutputStream.CHUNK * 2 + 99];
    new Random(3).nextBytes(data);
    assertArrayEquals(gzip(data, 1), gzip(data, 4));
  }

  @Test
  void anEmptyInputIsAValidEmptyGzipStream() throws IOException {
    assertArrayEquals(new byte[0], gunzip(gzip(new byte[0], 2)));
  }
}

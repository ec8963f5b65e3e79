package dev.kiln.exporter.image;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip written as pigz's {@code --independent} mode does: the input is cut into fixed 1 MiB chunks
 * and each becomes a gzip member of its own, compressed on several threads and written in order.
 * Concatenated members are one valid gzip stream (RFC 1952 §2.2; Go's, zlib's and Java's readers
 * read them all). The bytes depend only on the input, the level and the chunk size, never on the
 * number of threads, so images stay reproducible on any machine with the same zlib. Members carry
 * no name and no mtime.
 */
final class ParallelGzipOutputStream extends OutputStream {
  static final int CHUNK = 1 << 20;

  private final OutputStream out;
  private final int level;
  private final ExecutorService pool;
  private final int maxInFlight;
  private final ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
  private byte[] chunk = new byte[CHUNK];
  private int filled;
  private boolean anyMember;
  private boolean closed;

  ParallelGzipOutputStream(OutputStream out, int level, int threads) {
    this.out = out;
    this.level = level;
    this.maxInFlight = threads * 2;
    this.pool =
        Executors.newFixedThreadPool(
            threads,
            task -> {
              Thread thread = new Thread(task, "kiln-gzip");
              thread.setDaemon(true);
              return thread;
            });
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] data, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("gzip stream is closed");
    }
    while (len > 0) {
      int n = Math.min(len, CHUNK - filled);
      System.arraycopy(data, off, chunk, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == CHUNK) {
        submit();
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (filled > 0 || !anyMember) {
        submit(); // an empty input still makes one (empty) member: a valid gzip stream
      }
      while (!inFlight.isEmpty()) {
        writeOldest();
      }
      out.close();
    } finally {
      pool.shutdownNow();
    }
  }

  private void submit() throws IOException {
    byte[] data = chunk;
    int length = filled;
    inFlight.add(pool.submit(() -> member(data, length, level)));
    anyMember = true;
    chunk = new byte[CHUNK];
    filled = 0;
    while (inFlight.size() > maxInFlight) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    try {
      out.write(inFlight.poll().get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing a layer");
    } catch (ExecutionException e) {
      throw new IOException("gzip compression failed: " + e.getCause(), e.getCause());
    }
  }

  /** One complete gzip member: header, raw deflate of {@code data}, CRC-32 and length. */
  static byte[] member(byte[] data, int length, int level) {
    Deflater deflater = new Deflater(level, true);
    try {
      byte[] buffer = new byte[length + (length >> 6) + 64];
      // Header: magic, deflate, no flags, mtime 0, XFL as Go writes it, OS unknown (255).
      buffer[0] = 0x1f;
      buffer[1] = (byte) 0x8b;
      buffer[2] = 8;
      buffer[8] = (byte) (level == 9 ? 2 : level == 1 ? 4 : 0);
      buffer[9] = (byte) 0xff;
      int size = 10;
      deflater.setInput(data, 0, length);
      deflater.finish();
      while (!deflater.finished()) {
        if (size == buffer.length) {
          buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        size += deflater.deflate(buffer, size, buffer.length - size);
      }
      CRC32 crc = new CRC32();
      crc.update(data, 0, length);
      if (buffer.length - size < 8) {
        buffer = Arrays.copyOf(buffer, size + 8);
      }
      putInt(buffer, size, (int) crc.getValue());
      putInt(buffer, size + 4, length);
      return Arrays.copyOf(buffer, size + 8);
    } finally {
      deflater.end();
    }
  }

  private static void putInt(byte[] buffer, int at, int value) {
    buffer[at] = (byte) value;
    buffer[at + 1] = (byte) (value >>> 8);
    buffer[at + 2] = (byte) (value >>> 16);
    buffer[at + 3] = (byte) (value >>> 24);
  }
}

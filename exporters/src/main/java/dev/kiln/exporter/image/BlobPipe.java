package dev.kiln.exporter.image;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Streams what a writer produces into the content store: the writer runs on a thread of its own and
 * hands chunks to {@link ContentStore#ingest} (temp file, hash, fsync, rename) through a small
 * bounded queue, so a layer is never held in memory and compressing overlaps hashing and writing.
 */
final class BlobPipe {
  private static final int CHUNK = 256 * 1024;
  private static final int CHUNKS = 8;
  private static final byte[] END = new byte[0];

  /** Writes a blob's bytes to {@code out}; closing {@code out} does not end the blob. */
  interface Producer<T> {
    T write(OutputStream out) throws IOException;
  }

  /** What the producer returned, and the stored blob's digest and size. */
  record Stored<T>(T produced, Digest digest, long size) {}

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(CHUNKS);
  private volatile boolean readerGone;
  private volatile IOException writerFailure;

  private BlobPipe() {}

  static <T> Stored<T> ingest(ContentStore content, Producer<T> producer) throws IOException {
    BlobPipe pipe = new BlobPipe();
    CompletableFuture<T> produced = new CompletableFuture<>();
    Thread writer =
        new Thread(
            () -> {
              // The end of the blob is marked only once the producer has succeeded: a producer
              // that closes its streams while failing must not pass for a complete blob.
              try {
                Sink sink = pipe.new Sink();
                T result = producer.write(sink);
                sink.finish();
                produced.complete(result);
              } catch (IOException | RuntimeException | Error e) {
                pipe.failWriter(e);
                produced.completeExceptionally(e);
              }
            },
            "kiln-blob-writer");
    writer.setDaemon(true);
    writer.start();
    Source source = pipe.new Source();
    Digest digest;
    try (source) {
      digest = content.ingest(source, Optional.empty(), Long.MAX_VALUE);
    } catch (IOException | RuntimeException e) {
      // The writer stops at its next write; wait for it so that no thread outlives the export.
      try {
        await(produced);
      } catch (IOException | RuntimeException | Error writerError) {
        e.addSuppressed(writerError);
      }
      throw e;
    }
    return new Stored<>(await(produced), digest, source.count);
  }

  private static <T> T await(CompletableFuture<T> produced) throws IOException {
    try {
      return produced.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw (Error) cause;
    }
  }

  private void failWriter(Throwable e) {
    writerFailure = e instanceof IOException ? (IOException) e : new IOException(e.getMessage(), e);
    chunks.clear();
    chunks.offer(END); // wakes the reader, which then sees the failure
  }

  private void put(byte[] chunk) throws IOException {
    if (readerGone) {
      throw new IOException("the content store stopped reading the blob");
    }
    try {
      chunks.put(chunk);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing a blob");
    }
  }

  /** The writer's end: fills chunks and queues them. */
  private final class Sink extends OutputStream {
    private byte[] buffer = new byte[CHUNK];
    private int filled;
    private boolean finished;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, CHUNK - filled);
        System.arraycopy(data, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == CHUNK) {
          put(buffer);
          buffer = new byte[CHUNK];
          filled = 0;
        }
      }
    }

    /** Hands over what is buffered; the blob is not over until {@link #finish}. */
    @Override
    public void close() throws IOException {
      if (filled > 0) {
        byte[] last = new byte[filled];
        System.arraycopy(buffer, 0, last, 0, filled);
        put(last);
        filled = 0;
      }
    }

    /** Marks the end of the blob: called only when everything was written. */
    void finish() throws IOException {
      if (finished) {
        return;
      }
      close();
      finished = true;
      put(END);
    }
  }

  /** The content store's end. */
  private final class Source extends InputStream {
    private byte[] current = new byte[0];
    private int position;
    private boolean ended;
    private long count;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] into, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (position == current.length) {
        if (ended) {
          return -1;
        }
        try {
          current = chunks.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while storing a blob");
        }
        position = 0;
        if (current == END) {
          ended = true;
          if (writerFailure != null) {
            throw new IOException("writing the blob failed: " + writerFailure.getMessage());
          }
        }
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current, position, into, off, n);
      position += n;
      count += n;
      return n;
    }

    @Override
    public void close() {
      readerGone = true;
      chunks.clear(); // frees a writer blocked on a full queue; its next write fails
    }
  }
}

package dev.kiln.engine.content;

import dev.kiln.engine.graph.Digest;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The writing of one blob of known digest and size into the content store, resumable: the bytes
 * written so far stay in {@code ingest/<hex>.partial} when it is closed unfinished, and the next
 * ingest of that blob continues from {@link #offset()}. Only {@link #commit()} puts the blob under
 * {@code blobs/}, after checking its size and digest and syncing it. Holds the blob's writer lock
 * until closed, so one thread at a time writes a given blob (a Kiln root belongs to one process).
 */
public final class ResumableIngest implements Closeable {
  private static final int BUFFER = 64 * 1024;

  private final Digest expected;
  private final long size;
  private final Path partial;
  private final Path target;
  private final Path blobs;
  private final Runnable release;
  private FileChannel channel;
  private MessageDigest sha;
  private long offset;
  private boolean done;
  private boolean released;

  ResumableIngest(
      Digest expected, long size, Path partial, Path target, Path blobs, Runnable release)
      throws IOException {
    this.expected = expected;
    this.size = size;
    this.partial = partial;
    this.target = target;
    this.blobs = blobs;
    this.release = release;
    this.done = Files.isRegularFile(target);
    if (!done) {
      channel =
          FileChannel.open(
              partial,
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      try {
        resumeHash();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }
  }

  /** True when the blob is already in the store (another writer finished it): nothing to do. */
  public boolean complete() {
    return done;
  }

  /** How many bytes are written: where the download continues. */
  public long offset() {
    return offset;
  }

  /** The blob's expected size. */
  public long size() {
    return size;
  }

  /**
   * Appends everything {@code in} yields. Fails, keeping what was written, when the stream breaks;
   * fails and forgets everything when it yields more than the blob's size.
   */
  public void append(InputStream in) throws IOException {
    requireOpen();
    byte[] buffer = new byte[BUFFER];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      if (offset + n > size) {
        restart();
        throw new IOException(
            "blob " + expected + " is larger than its descriptor's " + size + " bytes");
      }
      ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
      while (bytes.hasRemaining()) {
        channel.write(bytes, offset + (bytes.position()));
      }
      sha.update(buffer, 0, n);
      offset += n;
    }
  }

  /** Forgets what was written, for a source that cannot continue where this one stopped. */
  public void restart() throws IOException {
    requireOpen();
    channel.truncate(0);
    sha = Digest.newSha256();
    offset = 0;
  }

  /**
   * Moves the finished blob into the store. Throws, and forgets the written bytes (they cannot be
   * right), when their size or digest is not the expected one.
   */
  public void commit() throws IOException {
    requireOpen();
    if (offset != size) {
      throw new IOException(
          "blob " + expected + " is incomplete: " + offset + " of " + size + " bytes written");
    }
    Digest actual = Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
    if (!actual.equals(expected)) {
      restart();
      throw new IOException("digest mismatch: expected " + expected + ", content has " + actual);
    }
    channel.force(true);
    channel.close();
    channel = null;
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    ContentStore.syncDirectory(blobs);
    done = true;
  }

  /** Releases the blob's lock; an unfinished download stays for the next attempt to resume. */
  @Override
  public void close() throws IOException {
    if (released) {
      return;
    }
    released = true;
    try {
      if (channel != null) {
        channel.close();
        channel = null;
        if (offset == 0) {
          Files.deleteIfExists(partial);
        }
      }
    } finally {
      release.run();
    }
  }

  /** Hashes what an earlier, interrupted ingest left, so the download continues after it. */
  private void resumeHash() throws IOException {
    sha = Digest.newSha256();
    long existing = channel.size();
    if (existing > size) {
      restart();
      return;
    }
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    long position = 0;
    while (position < existing) {
      buffer.clear();
      int n = channel.read(buffer, position);
      if (n < 0) {
        break;
      }
      sha.update(buffer.array(), 0, n);
      position += n;
    }
    offset = position;
  }

  private void requireOpen() {
    if (channel == null) {
      throw new IllegalStateException("blob " + expected + " is not being written");
    }
  }
}

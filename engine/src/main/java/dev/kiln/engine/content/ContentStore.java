package dev.kiln.engine.content;

import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Content-addressed blobs under {@code ROOT/content/blobs/sha256/<hex>}, written through a temp
 * file in {@code ROOT/content/ingest} and renamed into place only once hashed and synced.
 */
public final class ContentStore {
  private static final int BUFFER = 64 * 1024;
  // One writer per partial file in this JVM, across ContentStore instances of the same root;
  // an entry lives while some thread holds or waits for it.
  private static final ConcurrentMap<Path, Writer> WRITERS = new ConcurrentHashMap<>();

  private static final class Writer {
    final ReentrantLock lock = new ReentrantLock();
    int users; // changed only inside WRITERS.compute
  }

  private final Path blobs;
  private final Path ingest;

  public ContentStore(Path root) throws IOException {
    this.blobs = root.resolve("content").resolve("blobs").resolve("sha256");
    this.ingest = root.resolve("content").resolve("ingest");
    Files.createDirectories(blobs);
    Files.createDirectories(ingest);
  }

  /**
   * Removes the temporary files of ingests a crash interrupted ({@code ingest-*.tmp}); resumable
   * downloads ({@code HEX.partial}) stay. Only for a process that holds the root alone, before it
   * ingests anything. Returns how many went.
   */
  public int removeInterruptedIngests() throws IOException {
    int removed = 0;
    try (var files = Files.newDirectoryStream(ingest, "ingest-*.tmp")) {
      for (Path file : files) {
        if (Files.deleteIfExists(file)) {
          removed++;
        }
      }
    }
    return removed;
  }

  /**
   * Stores the bytes of {@code in} and returns their digest. Fails, leaving nothing behind, when
   * the content does not hash to {@code expected} or is longer than {@code maxBytes}.
   */
  public Digest ingest(InputStream in, Optional<Digest> expected, long maxBytes)
      throws IOException {
    Path temp = Files.createTempFile(ingest, "ingest-", ".tmp");
    try {
      Digest actual = writeHashed(in, temp, maxBytes);
      if (expected.isPresent() && !expected.get().equals(actual)) {
        throw new IOException(
            "digest mismatch: expected " + expected.get() + ", content has " + actual);
      }
      Path target = blobPath(actual);
      dev.kiln.engine.fault.CrashPoint.reach(dev.kiln.engine.fault.CrashPoint.BLOB_WRITE);
      if (!Files.exists(target)) {
        // rename(2) replaces atomically, so a concurrent ingest of the same blob is harmless.
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(blobs);
      }
      return actual;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Starts, or continues where an interrupted one stopped, the ingest of the blob {@code expected}
   * of {@code size} bytes. Blocks while another thread writes the same blob; the caller must close
   * the result, and finds it {@link ResumableIngest#complete() complete} when the blob arrived
   * meanwhile.
   */
  public ResumableIngest resume(Digest expected, long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for blob " + expected);
    }
    Path partial = ingest.resolve(expected.hex() + ".partial").toAbsolutePath();
    Writer writer =
        WRITERS.compute(
            partial,
            (path, current) -> {
              Writer w = current == null ? new Writer() : current;
              w.users++;
              return w;
            });
    writer.lock.lock();
    Runnable release =
        () -> {
          writer.lock.unlock();
          WRITERS.compute(partial, (path, current) -> --current.users == 0 ? null : current);
        };
    try {
      return new ResumableIngest(expected, size, partial, blobPath(expected), blobs, release);
    } catch (IOException | RuntimeException e) {
      release.run();
      throw e;
    }
  }

  /** The blob's file, when present. */
  public Optional<Path> path(Digest digest) {
    Path path = blobPath(digest);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  public boolean has(Digest digest) {
    return path(digest).isPresent();
  }

  /** Every stored blob's digest (files that are not named by a digest are left out). */
  public List<Digest> digests() throws IOException {
    try (Stream<Path> files = Files.list(blobs)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> name.matches("[0-9a-f]{64}"))
          .map(Digest::fromHex)
          .toList();
    }
  }

  /** A stored blob's size in bytes, 0 when it is gone. */
  public long size(Digest digest) throws IOException {
    try {
      return Files.size(blobPath(digest));
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  /**
   * Removes a blob (garbage collection) and returns its size, 0 when it was already gone. Unlinking
   * is atomic, and a reader that has the blob open reads it to its end.
   */
  public long delete(Digest digest) throws IOException {
    Path path = blobPath(digest);
    try {
      long size = Files.size(path);
      Files.delete(path);
      return size;
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  /** Opens a stored blob without checking it; see {@link #verify(Digest)}. */
  public InputStream open(Digest digest) throws IOException {
    try {
      return Files.newInputStream(blobPath(digest));
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException("blob " + digest + " is not in the content store");
    }
  }

  /** Re-hashes a stored blob; throws when it is missing or its content no longer matches. */
  public void verify(Digest digest) throws IOException {
    MessageDigest sha = Digest.newSha256();
    try (InputStream in = open(digest)) {
      byte[] buffer = new byte[BUFFER];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
    }
    Digest actual = Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
    if (!actual.equals(digest)) {
      throw new IOException("blob " + digest + " is corrupt: its content has digest " + actual);
    }
  }

  private Path blobPath(Digest digest) {
    return blobs.resolve(digest.hex());
  }

  private static Digest writeHashed(InputStream in, Path temp, long maxBytes) throws IOException {
    MessageDigest sha = Digest.newSha256();
    long total = 0;
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      OutputStream out = Channels.newOutputStream(channel);
      byte[] buffer = new byte[BUFFER];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        total += n;
        if (total > maxBytes) {
          throw new IOException("content is larger than the allowed " + maxBytes + " bytes");
        }
        sha.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
      out.flush();
      channel.force(true);
    }
    return Digest.fromHex(HexFormat.of().formatHex(sha.digest()));
  }

  static void syncDirectory(Path dir) throws IOException {
    // Makes the rename durable; without it a crash could lose a blob the caller was told exists.
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}

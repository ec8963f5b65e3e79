package dev.kiln.engine.executor;

import dev.kiln.engine.graph.CacheSharing;
import dev.kiln.engine.host.Ownership;
import dev.kiln.engine.run.Cancellation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The persistent directories of cache mounts: {@code DIR/<sha256 of id>}, kept across builds and
 * never part of a layer or a cache key. Sharing as BuildKit's: {@code shared} hands every step the
 * same directory; {@code private} hands a step another directory ({@code <sha>-N}, kept too) while
 * the first is in use; {@code locked} makes steps take turns (the wait blocks the calling exec
 * thread, never an actor).
 */
public final class CacheMounts {
  private static final long LOCK_POLL_MILLIS = 100;

  private final Path dir;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  /** Per cache: every step that uses it reads; one whose mounts nest inside it writes. */
  private final Map<String, ReadWriteLock> users = new ConcurrentHashMap<>();

  private final Map<Path, Integer> inUse = new HashMap<>();

  public CacheMounts(Path dir) {
    this.dir = dir;
  }

  /** A directory in use by one step; close it when the step is done. */
  public final class Lease implements AutoCloseable {
    private final Path path;
    private final List<Lock> held;
    private boolean closed;

    private Lease(Path path, List<Lock> held) {
      this.path = path;
      this.held = List.copyOf(held);
    }

    public Path path() {
      return path;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      release(path);
      unlock(held);
    }
  }

  /** Fills a new cache directory with its base's content. */
  @FunctionalInterface
  interface Filler {
    void fill(Path emptyDir) throws IOException, ExecException;
  }

  /** Takes {@code cache}'s directory, creating it on first use; may wait when locked. */
  public Lease acquire(ExecMount.Cache cache, Cancellation cancellation)
      throws IOException, ExecException {
    return acquire(cache, cancellation, dir -> {});
  }

  /**
   * As {@link #acquire(ExecMount.Cache, Cancellation)}, filling a new directory with {@code fill}.
   */
  Lease acquire(ExecMount.Cache cache, Cancellation cancellation, Filler fill)
      throws IOException, ExecException {
    return acquire(cache, cancellation, fill, false);
  }

  /**
   * As above; {@code alone} waits until no other step uses the cache, whatever its sharing, and
   * keeps others out until the lease closes: a step whose other mounts land inside the cache needs
   * its directories to stay as they were checked until bwrap has mounted through them.
   */
  Lease acquire(ExecMount.Cache cache, Cancellation cancellation, Filler fill, boolean alone)
      throws IOException, ExecException {
    String name = sha256(identity(cache));
    List<Lock> held = new ArrayList<>();
    ReadWriteLock users = this.users.computeIfAbsent(name, n -> new ReentrantReadWriteLock(true));
    waitFor(alone ? users.writeLock() : users.readLock(), cancellation);
    held.add(alone ? users.writeLock() : users.readLock());
    try {
      if (cache.sharing() == CacheSharing.LOCKED) {
        Lock lock = locks.computeIfAbsent(name, n -> new ReentrantLock(true));
        waitFor(lock, cancellation);
        held.add(lock);
      }
    } catch (ExecException | RuntimeException e) {
      unlock(held);
      throw e;
    }
    try {
      Path path = claim(name, cache.sharing() == CacheSharing.PRIVATE);
      try {
        create(path, cache, fill);
      } catch (IOException | ExecException | RuntimeException e) {
        release(path);
        throw e;
      }
      return new Lease(path, held);
    } catch (IOException | ExecException | RuntimeException e) {
      unlock(held);
      throw e;
    }
  }

  /** Releases {@code held}, the last taken first. */
  private static void unlock(List<Lock> held) {
    for (int i = held.size() - 1; i >= 0; i--) {
      held.get(i).unlock();
    }
  }

  private static void waitFor(Lock lock, Cancellation cancellation) throws ExecException {
    try {
      while (!lock.tryLock(LOCK_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        cancellation.check();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExecException("interrupted while waiting for a locked cache mount", e);
    }
  }

  private synchronized Path claim(String name, boolean exclusive) {
    Path path = dir.resolve(name);
    for (int n = 1; exclusive && inUse.getOrDefault(path, 0) > 0; n++) {
      path = dir.resolve(name + "-" + n);
    }
    inUse.merge(path, 1, Integer::sum);
    return path;
  }

  private synchronized void release(Path path) {
    inUse.computeIfPresent(path, (p, count) -> count > 1 ? count - 1 : null);
  }

  /** The id, and for a cache with a base the base's layers and path: one directory per base. */
  private static String identity(ExecMount.Cache cache) {
    if (cache.base().isEmpty()) {
      return cache.id();
    }
    StringBuilder identity =
        new StringBuilder(cache.id()).append('\0').append(cache.baseSelector());
    for (var layer : cache.base().get().layers()) {
      identity.append('\0').append(layer.id());
    }
    return identity.toString();
  }

  private void create(Path path, ExecMount.Cache cache, Filler fill)
      throws IOException, ExecException {
    if (Files.isDirectory(path)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      // Steps running as other users must reach their cache directories.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    }
    Path partial = Files.createTempDirectory(dir, ".new-");
    try {
      fill.fill(partial);
    } catch (IOException | ExecException | RuntimeException e) {
      dev.kiln.engine.snapshot.FileTrees.deleteRecursively(partial);
      throw e;
    }
    Files.setPosixFilePermissions(partial, permissions(cache.mode()));
    Ownership.lchown(partial, (int) cache.uid(), (int) cache.gid());
    Files.move(partial, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE,
      PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        perms.add(order[bit]);
      }
    }
    return perms;
  }

  static String sha256(String id) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

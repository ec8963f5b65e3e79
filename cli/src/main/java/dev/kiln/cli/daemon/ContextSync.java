package dev.kiln.cli.daemon;

import dev.kiln.cli.ContextManifest;
import dev.kiln.cli.SafeTar;
import dev.kiln.engine.fileop.SelectedTree;
import dev.kiln.engine.fileop.Selection;
import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The daemon's copies of its clients' build contexts, one per context key ({@code
 * ROOT/contexts/KEY/tree}), kept between builds so that a client sends only the files that changed
 * (docs/api.md). A build holds its copy while it runs; bringing a copy up to date takes every hold,
 * so it waits for running builds of that copy and never changes files under them.
 */
final class ContextSync {
  private static final Pattern KEY = Pattern.compile("[0-9a-f]{64}");
  private static final int HOLDERS = 1 << 20;

  /** The copy was changed by another client between its question and its upload: ask again. */
  static final class Stale extends IOException {
    Stale(String path) {
      super(
          "the daemon's copy of the context changed since the client listed it (\""
              + path
              + "\"); send the build again");
    }
  }

  /** A build's hold on a copy: it stays as it is until closed. */
  interface Lease extends AutoCloseable {
    Path dir();

    @Override
    void close();
  }

  private final Path root;

  /**
   * Per copy: builds each hold one permit, an update holds them all. A semaphore, not a read-write
   * lock, since a build's hold is taken on one thread and given back on another.
   */
  private final Map<String, Semaphore> locks = new ConcurrentHashMap<>();

  ContextSync(Path root) throws IOException {
    this.root = root;
    Files.createDirectories(root);
  }

  /** Throws unless {@code key} is a context key (64 lowercase hex digits). */
  static String checkKey(String key) throws ContextUpload.BadUpload {
    if (!KEY.matcher(key).matches()) {
      throw new ContextUpload.BadUpload("not a context key (64 hex digits)");
    }
    return key;
  }

  /** The files of {@code wanted} that the copy of {@code key} lacks or holds otherwise. */
  List<String> missing(String key, ContextManifest wanted) throws IOException {
    return wanted.filesMissingFrom(current(tree(key)));
  }

  /**
   * Brings the copy of {@code key} to {@code wanted}, taking the files it lacks from {@code
   * received} (what the upload carried, verified on arrival), and returns a read hold on it for the
   * build. Throws {@link Stale} if a file the upload did not carry is not as the manifest says.
   */
  Lease apply(String key, ContextManifest wanted, Path received) throws IOException {
    Semaphore lock = lock(key);
    Path tree = tree(key);
    if (isEmpty(received)) {
      lock.acquireUninterruptibly();
      boolean same;
      try {
        same = matches(wanted, current(tree));
      } catch (IOException | RuntimeException e) {
        lock.release();
        throw e;
      }
      if (same) {
        return lease(tree, lock); // the common case: nothing changed; builds of it share it
      }
      lock.release();
    }
    lock.acquireUninterruptibly(HOLDERS);
    try {
      update(tree, wanted, received);
    } catch (IOException | RuntimeException e) {
      lock.release(HOLDERS);
      throw e;
    }
    lock.release(HOLDERS - 1); // keep one: no update can come in before this build reads it
    return lease(tree, lock);
  }

  /**
   * A copy a build wants: {@code key} brought to {@code manifest} from what {@code received} holds.
   */
  record Wanted(String key, ContextManifest manifest, Path received) {}

  /** A build's holds on its copies, by key. */
  record Leases(Map<String, Lease> byKey) implements AutoCloseable {
    /** The copy of {@code key}. */
    Path dir(String key) {
      return byKey.get(key).dir();
    }

    @Override
    public void close() {
      byKey.values().forEach(Lease::close);
    }
  }

  /**
   * {@link #apply}s each of {@code wanted} (distinct keys) in the order of their keys, so that two
   * builds that want the same copies never each hold one the other waits to update; on failure,
   * gives back what it took.
   */
  Leases applyAll(List<Wanted> wanted) throws IOException {
    Leases leases = new Leases(new java.util.TreeMap<>());
    try {
      for (Wanted one :
          wanted.stream().sorted(java.util.Comparator.comparing(Wanted::key)).toList()) {
        if (leases.byKey().containsKey(one.key())) {
          throw new ContextUpload.BadUpload("directory key " + one.key() + " given twice");
        }
        leases.byKey().put(one.key(), apply(one.key(), one.manifest(), one.received()));
      }
      return leases;
    } catch (IOException | RuntimeException e) {
      leases.close();
      throw e;
    }
  }

  private Semaphore lock(String key) {
    return locks.computeIfAbsent(key, k -> new Semaphore(HOLDERS, true));
  }

  private static Lease lease(Path tree, Semaphore lock) {
    return new Lease() {
      private boolean closed;

      @Override
      public Path dir() {
        return tree;
      }

      @Override
      public synchronized void close() {
        if (!closed) {
          closed = true;
          lock.release();
        }
      }
    };
  }

  private void update(Path tree, ContextManifest wanted, Path received) throws IOException {
    Files.createDirectories(tree);
    if (Files.isSymbolicLink(received)) {
      throw new ContextUpload.BadUpload("the upload's " + received.getFileName() + " is a symlink");
    }
    Optional<Path> receivedRoot =
        Files.isDirectory(received, LinkOption.NOFOLLOW_LINKS)
            ? Optional.of(received.toRealPath())
            : Optional.empty();
    ContextManifest have = current(tree);
    // Gone, or of another kind: removed first, deepest first.
    List<String> paths = new ArrayList<>(have.entries().keySet());
    java.util.Collections.reverse(paths);
    for (String path : paths) {
      ContextManifest.Entry there = have.entries().get(path);
      ContextManifest.Entry entry = wanted.entries().get(path);
      if (entry == null || entry.kind() != there.kind()) {
        Path target = tree.resolve(path);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          FileTrees.deleteRecursively(target);
        }
      }
    }
    for (ContextManifest.Entry entry : wanted.entries().values()) {
      Path target = tree.resolve(entry.path());
      ContextManifest.Entry there = have.entries().get(entry.path());
      switch (entry.kind()) {
        case DIRECTORY -> {
          Files.createDirectories(target);
          SafeTar.chmod(target, entry.mode() | 0700);
        }
        case SYMLINK -> {
          if (there == null || !entry.sameAs(there)) {
            Files.deleteIfExists(target);
            Files.createSymbolicLink(target, Path.of(entry.link().orElseThrow()));
          }
        }
        case FILE -> {
          Path arrived = received.resolve(entry.path());
          if (Files.isRegularFile(arrived, LinkOption.NOFOLLOW_LINKS)
              && !arrived.toRealPath().startsWith(receivedRoot.orElseThrow())) {
            // reached through a symlink of the upload: a file of the daemon's, never the client's
            throw new ContextUpload.BadUpload("\"" + entry.path() + "\" lies below a symlink");
          }
          if (Files.isRegularFile(arrived, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.size(arrived) != entry.size()) {
              throw new ContextUpload.BadUpload(
                  "\"" + entry.path() + "\" arrived with another size than the manifest's");
            }
            Files.move(
                arrived,
                target,
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
          } else if (there == null || there.kind() != ContextManifest.Kind.FILE) {
            throw new Stale(entry.path());
          } else if (!entry.sameAs(there)) {
            if (there.size() != entry.size() || there.mtimeNanos() != entry.mtimeNanos()) {
              throw new Stale(entry.path());
            }
          }
          SafeTar.chmod(target, entry.mode());
          Files.setLastModifiedTime(
              target, FileTime.from(entry.mtimeNanos(), TimeUnit.NANOSECONDS));
        }
        default -> throw new IllegalStateException(entry.kind().toString());
      }
    }
  }

  /** What {@code tree} holds now. */
  private static ContextManifest current(Path tree) throws IOException {
    Map<String, ContextManifest.Entry> entries = new LinkedHashMap<>();
    if (Files.isDirectory(tree)) {
      for (SelectedTree.Entry entry : SelectedTree.walk(tree, Selection.ALL)) {
        ContextManifest.entry(entry.relative(), entry.path(), entry.info())
            .ifPresent(e -> entries.put(e.path(), e));
      }
    }
    return new ContextManifest(entries);
  }

  private static boolean matches(ContextManifest wanted, ContextManifest have) {
    if (wanted.entries().size() != have.entries().size()) {
      return false;
    }
    for (ContextManifest.Entry entry : wanted.entries().values()) {
      ContextManifest.Entry there = have.entries().get(entry.path());
      if (there == null || !entry.sameAs(there)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return true;
    }
    try (var files = Files.walk(dir)) {
      return files.noneMatch(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
    }
  }

  private Path tree(String key) {
    return root.resolve(key).resolve("tree");
  }

  /** Removes the copies no build holds (for {@code prune --all}); how many went. */
  int pruneUnused() throws IOException {
    int removed = 0;
    try (var keys = Files.list(root)) {
      for (Path dir : keys.toList()) {
        Semaphore lock = lock(dir.getFileName().toString());
        if (lock.tryAcquire(HOLDERS)) {
          try {
            FileTrees.deleteRecursively(dir);
            removed++;
          } finally {
            lock.release(HOLDERS);
          }
        }
      }
    }
    return removed;
  }
}

package dev.kiln.engine.executor;

import dev.kiln.engine.host.Ownership;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.snapshot.HostCommand;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.ScopedPath;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The host side of a step's extra mounts: bind sources made visible (a throwaway overlay when
 * writable), cache directories taken, secrets written to private files, mount points created in the
 * root filesystem; and the mounts to make (see {@link SandboxMount}). Closing undoes it all, mount
 * points first (while the root filesystem is still mounted), so nothing of it reaches the step's
 * layer.
 */
final class SandboxMounts implements AutoCloseable {
  /**
   * A placed mount at {@code dest} whose source is a host directory: the sandbox would create the
   * points of mounts nested in it by following that directory's links on the host, so Kiln makes
   * them itself with {@code targets} (rooted at the source) and gives the sandbox a path with no
   * link on the way.
   */
  private record Covering(String dest, MountTargets targets) {}

  /** Something to undo on close. */
  @FunctionalInterface
  private interface Undo {
    void run() throws IOException;
  }

  private final Snapshotter snapshotter;
  private final CacheMounts caches;
  private final MountTargets targets;

  /** Mounts placed so far that others may land inside: their points are made in their sources. */
  private final List<Covering> coverings = new ArrayList<>();

  /** Caches that other mounts of the step land inside, by their destination in the root. */
  private final Set<String> nestedIn = new HashSet<>();

  private final List<SandboxMount> placed = new ArrayList<>();
  private final Deque<Undo> undo = new ArrayDeque<>();

  private SandboxMounts(Snapshotter snapshotter, CacheMounts caches, Path rootfs) {
    this.snapshotter = snapshotter;
    this.caches = caches;
    this.targets = new MountTargets(rootfs);
  }

  /** Prepares {@code mounts} for a root filesystem mounted at {@code rootfs}. Blocking. */
  static SandboxMounts prepare(
      List<ExecMount> mounts,
      Path rootfs,
      Snapshotter snapshotter,
      CacheMounts caches,
      Cancellation cancellation)
      throws ExecException {
    SandboxMounts prepared = new SandboxMounts(snapshotter, caches, rootfs);
    // Parents before children, so that /a/b is mounted over /a rather than hidden by it.
    List<ExecMount> ordered = new ArrayList<>(mounts);
    ordered.sort(Comparator.comparingInt(m -> depth(m.dest())));
    try {
      prepared.findNesting(ordered);
      for (ExecMount mount : ordered) {
        prepared.add(mount, cancellation);
      }
    } catch (IOException e) {
      prepared.close();
      throw new ExecException("could not prepare the mounts: " + e.getMessage(), e);
    } catch (ExecException | RuntimeException e) {
      prepared.close();
      throw e;
    }
    return prepared;
  }

  /** The mounts to make, parents before children. */
  List<SandboxMount> mounts() {
    return List.copyOf(placed);
  }

  /** Notes the caches that other mounts land inside (each then taken alone, see acquire). */
  private void findNesting(List<ExecMount> mounts) throws IOException {
    for (ExecMount mount : mounts) {
      if (mount instanceof ExecMount.Cache) {
        String at = targets.resolve(mount.dest());
        for (ExecMount other : mounts) {
          if (other != mount && isUnder(targets.resolve(other.dest()), at)) {
            nestedIn.add(at);
          }
        }
      }
    }
  }

  private static boolean isUnder(String path, String dir) {
    return path.startsWith(dir.endsWith("/") ? dir : dir + "/");
  }

  /**
   * Makes {@code dest}'s mount point exist where the sandbox will mount it: in the source of the
   * deepest mount placed so far that covers it, else in the root; returns the path to give the
   * sandbox, which has no link on the way.
   */
  private String place(String dest, boolean file) throws IOException, ExecException {
    String inRoot = targets.resolve(dest);
    Optional<Covering> deepest =
        coverings.stream()
            .filter(covering -> isUnder(inRoot, covering.dest()))
            .max(Comparator.comparingInt(covering -> covering.dest().length()));
    if (deepest.isEmpty()) {
      return targets.ensure(dest, file);
    }
    String at = deepest.get().dest();
    String inside = deepest.get().targets().ensure(inRoot.substring(at.length()), file);
    return at.equals("/") ? inside : at + inside;
  }

  private void add(ExecMount mount, Cancellation cancellation) throws IOException, ExecException {
    if (mount instanceof ExecMount.Bind bind) {
      bind(bind);
    } else if (mount instanceof ExecMount.Cache cache) {
      boolean alone = nestedIn.contains(targets.resolve(cache.dest()));
      CacheMounts.Lease lease = caches.acquire(cache, cancellation, dir -> seed(cache, dir), alone);
      undo.push(lease::close);
      String dest = place(cache.dest(), false);
      placed.add(new SandboxMount.Bind(lease.path(), dest, false));
      coverings.add(new Covering(dest, new MountTargets(lease.path())));
    } else if (mount instanceof ExecMount.Tmpfs tmpfs) {
      String dest = place(tmpfs.dest(), false);
      placed.add(new SandboxMount.Tmpfs(dest, tmpfs.size()));
    } else if (mount instanceof ExecMount.SecretFile secret) {
      Path file = writeSecret(secret);
      String dest = place(secret.dest(), true);
      placed.add(new SandboxMount.Bind(file, dest, true));
    } else {
      ExecMount.Socket socket = (ExecMount.Socket) mount;
      String dest = place(socket.dest(), true);
      placed.add(new SandboxMount.Bind(socket.socket(), dest, false));
    }
  }

  private void bind(ExecMount.Bind bind) throws IOException, ExecException {
    MountedFs view;
    if (bind.readonly()) {
      view = snapshotter.mount(bind.source(), Optional.empty());
      undo.push(view::close);
    } else {
      // Writable, but the writes go to a layer that is dropped afterwards.
      ActiveLayer scratch = snapshotter.prepare();
      undo.push(() -> snapshotter.discard(scratch));
      view = snapshotter.mountOverlay(bind.source(), Optional.of(scratch));
      undo.push(view::close);
    }
    Path source = selected(view.path(), bind.selector(), "bind");
    boolean directory = Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS);
    String dest = place(bind.dest(), !directory);
    placed.add(new SandboxMount.Bind(source, dest, bind.readonly()));
    if (directory) {
      coverings.add(new Covering(dest, new MountTargets(source)));
    }
  }

  /** Copies a cache's base into its new directory, owners and modes kept ({@code cp -a}). */
  private void seed(ExecMount.Cache cache, Path dir) throws IOException, ExecException {
    if (cache.base().isEmpty()) {
      return;
    }
    try (MountedFs view = snapshotter.mount(cache.base().get(), Optional.empty())) {
      Path source = selected(view.path(), cache.baseSelector(), "cache");
      if (!Files.isDirectory(source)) {
        throw new ExecException(
            "cache mount source " + cache.baseSelector() + " is not a directory", -1);
      }
      HostCommand.run(dir, List.of("cp", "-a", "--", source + "/.", dir.toString()));
    }
  }

  /**
   * Where {@code selector} lands in the filesystem at {@code root}: links followed inside it, as
   * the step would see them (BuildKit's rule), so that a link of the image can neither refuse a
   * source that is in it nor reach the host.
   */
  private static Path selected(Path root, String selector, String kind)
      throws IOException, ExecException {
    Path path = ScopedPath.resolve(root, selector, true);
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new ExecException(kind + " mount source " + selector + " does not exist", -1);
    }
    return path;
  }

  private Path writeSecret(ExecMount.SecretFile secret) throws IOException {
    Path dir = snapshotter.newMountPoint();
    undo.push(() -> FileTrees.deleteRecursively(dir));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Path file =
        Files.createFile(
            dir.resolve("secret"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, secret.data());
    Ownership.lchown(file, (int) secret.uid(), (int) secret.gid());
    Files.setPosixFilePermissions(file, CacheMounts.permissions(secret.mode()));
    return file;
  }

  private static int depth(String dest) {
    return (int) dest.chars().filter(c -> c == '/').count();
  }

  /** Removes the mount points, then releases everything else, latest first. Best effort. */
  @Override
  public void close() {
    for (int i = coverings.size() - 1; i >= 0; i--) {
      coverings.get(i).targets().removeCreated();
    }
    targets.removeCreated();
    while (!undo.isEmpty()) {
      try {
        undo.pop().run();
      } catch (IOException | RuntimeException e) {
        // Best effort: mounts left behind are removed by Snapshotter.recover().
      }
    }
  }
}

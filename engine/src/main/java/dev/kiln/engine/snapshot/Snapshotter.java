package dev.kiln.engine.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Keeps layers under {@code ROOT/snapshots}: active layers are written in {@code active-ID/} and
 * committed by an atomic rename to a short numeric id (short, so that the overlayfs mount options
 * of deep stacks stay under mount(2)'s one-page limit longer). Overlays are mounted in the JVM's
 * mount namespace under {@code ROOT/mounts}, or, when ROOT is not searchable by every user (a root
 * in a 0700 home), under {@code TMPDIR/kiln-mounts-HASH}: a step running as a non-root user must be
 * able to reach its mount point.
 */
public final class Snapshotter {
  private static final String EMPTY = "empty";
  private static final String BLOB_FILE = "blob.json";
  private static final ObjectMapper BLOB_JSON = new ObjectMapper();

  private final Path dir;
  private final Path mounts;
  private final AtomicLong nextId;
  private final SnapshotterMode mode;

  /** An overlay snapshotter. */
  public Snapshotter(Path root) throws IOException {
    this(root, SnapshotterMode.OVERLAY);
  }

  public Snapshotter(Path root, SnapshotterMode mode) throws IOException {
    this.mode = mode;
    this.dir = root.resolve("snapshots");
    this.mounts = MountsDir.forRoot(root);
    Files.createDirectories(dir);
    Files.createDirectories(mounts);
    this.nextId = new AtomicLong(highestCommittedId() + 1);
  }

  /** The directory holding mount points, removed and recreated by {@link #recover()}. */
  public Path mountsDir() {
    return mounts;
  }

  /** Creates a fresh, empty mount point directory under {@link #mountsDir()}. */
  public Path newMountPoint() throws IOException {
    Files.createDirectories(mounts);
    return Files.createDirectory(mounts.resolve(UUID.randomUUID().toString()));
  }

  /** An empty read-only directory: the root of scratch, and the lowerdir of a layerless overlay. */
  public Path emptyDir() throws IOException {
    Path empty = mounts.resolve(EMPTY);
    if (!Files.isDirectory(empty, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(empty);
      Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("r-xr-xr-x"));
    }
    return empty;
  }

  /**
   * Makes {@code base} visible as one directory, writable into {@code upper} when given. Blocking:
   * may mount an overlay. Close the result to unmount.
   */
  public MountedFs mount(Snapshot base, Optional<ActiveLayer> upper) throws IOException {
    List<Layer> layers = base.layers();
    if (upper.isEmpty() && layers.isEmpty()) {
      return MountedFs.direct(emptyDir());
    }
    if (upper.isEmpty() && layers.size() == 1) {
      return MountedFs.direct(layers.get(0).dir());
    }
    if (upper.isPresent() && layers.isEmpty()) {
      // overlayfs needs at least one lowerdir; with nothing below, the upper dir is the view.
      return MountedFs.direct(upper.get().upper());
    }
    return mountOverlay(base, upper);
  }

  /**
   * Always mounts an overlay of {@code base} at a fresh mount point, even where {@link #mount}
   * would hand out a plain directory (scratch gets the empty directory as its lowerdir), so that
   * the result is a mount point of its own. Close the result to unmount.
   */
  public MountedFs mountOverlay(Snapshot base, Optional<ActiveLayer> upper) throws IOException {
    if (mode == SnapshotterMode.COPY) {
      return copyOf(base, upper);
    }
    List<Path> lowers = base.isScratch() ? List.of(emptyDir()) : lowerDirs(base);
    Path mountPoint = newMountPoint();
    try {
      OverlayMount.mount(lowers, upper, mountPoint);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(mountPoint);
      throw e;
    }
    return MountedFs.overlay(mountPoint);
  }

  /**
   * The copying snapshotter's view: {@code base} copied into a fresh directory; when writable,
   * closing it writes what changed, compared with a second pristine copy, into {@code upper}.
   */
  private MountedFs copyOf(Snapshot base, Optional<ActiveLayer> upper) throws IOException {
    Path view = newMountPoint();
    CopiedTree.materialize(base, view);
    if (upper.isEmpty()) {
      return MountedFs.copied(view, () -> FileTrees.deleteRecursively(view));
    }
    Path pristine = newMountPoint();
    CopiedTree.materialize(base, pristine);
    return MountedFs.copied(
        view,
        () -> {
          try {
            TreeDiff.write(pristine, view, upper.get().upper(), OverlayFormat::createWhiteouts);
          } finally {
            FileTrees.deleteRecursively(view);
            FileTrees.deleteRecursively(pristine);
          }
        });
  }

  public SnapshotterMode mode() {
    return mode;
  }

  /**
   * Why this host does not let Kiln mount overlays here, when it does not: tries one (a scratch
   * view with an upper layer) and undoes it. The answer picks the snapshotter when none is
   * configured.
   */
  public static Optional<String> overlayFailure(Path root) {
    try {
      Snapshotter probe = new Snapshotter(root, SnapshotterMode.OVERLAY);
      ActiveLayer upper = probe.prepare();
      try (MountedFs view = probe.mountOverlay(Snapshot.SCRATCH, Optional.of(upper))) {
        return Files.isDirectory(view.path())
            ? Optional.empty()
            : Optional.of("the mounted overlay is no directory");
      } finally {
        probe.discard(upper);
      }
    } catch (IOException | RuntimeException | LinkageError e) {
      return Optional.of(String.valueOf(e.getMessage()));
    }
  }

  /**
   * Cleans up after a crash: unmounts whatever is still mounted under {@link #mountsDir()}, empties
   * it, and deletes active layers that were never committed. Call before any other use.
   */
  public void recover() throws IOException {
    for (Path mountPoint : MountInfo.mountPointsUnder(mounts)) {
      OverlayMount.detach(mountPoint);
    }
    if (!MountInfo.mountPointsUnder(mounts).isEmpty()) {
      throw new IOException("could not unmount everything under " + mounts);
    }
    try (Stream<Path> entries = Files.list(mounts)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        FileTrees.deleteRecursively(entry);
      }
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        if (entry.getFileName().toString().startsWith("active-")) {
          FileTrees.deleteRecursively(entry);
        }
      }
    }
  }

  /** The directory holding all layers. */
  public Path snapshotsDir() {
    return dir;
  }

  public ActiveLayer prepare() throws IOException {
    ActiveLayer layer = new ActiveLayer(UUID.randomUUID().toString(), null);
    Path layerDir = dir.resolve("active-" + layer.id());
    layer = new ActiveLayer(layer.id(), layerDir);
    Files.createDirectories(layer.upper());
    Files.createDirectories(layer.work());
    return layer;
  }

  /** Makes {@code active} immutable under a fresh id. */
  public Layer commit(ActiveLayer active) throws IOException {
    return commit(active, Optional.empty());
  }

  /**
   * Makes {@code active} immutable under a fresh id, remembering the image blob it was unpacked
   * from (written inside the layer's directory before the rename, so it commits with the layer).
   */
  public Layer commit(ActiveLayer active, Optional<LayerBlob> blob) throws IOException {
    FileTrees.deleteRecursively(active.work());
    if (blob.isPresent()) {
      LayerBlob b = blob.get();
      ObjectNode json = BLOB_JSON.createObjectNode();
      json.put("mediaType", b.mediaType());
      json.put("digest", b.digest().toString());
      json.put("size", b.size());
      json.put("diffId", b.diffId().toString());
      Path file = active.dir().resolve(BLOB_FILE);
      Files.write(file, BLOB_JSON.writeValueAsBytes(json));
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
    }
    String id = Long.toString(nextId.getAndIncrement());
    Path committed = dir.resolve(id);
    Files.move(active.dir(), committed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return new Layer(id, committed.resolve("fs"));
  }

  /** The committed layer {@code id}, if it is (still) there. */
  public Optional<Layer> committed(String id) {
    if (!id.matches("\\d{1,18}")) {
      return Optional.empty();
    }
    Path fs = dir.resolve(id).resolve("fs");
    return Files.isDirectory(fs, LinkOption.NOFOLLOW_LINKS)
        ? Optional.of(new Layer(id, fs))
        : Optional.empty();
  }

  /** The image blob {@code layer} was unpacked from, if it was. */
  public Optional<LayerBlob> blob(Layer layer) throws IOException {
    Path file = layer.dir().resolveSibling(BLOB_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode json = BLOB_JSON.readTree(Files.readAllBytes(file));
      return Optional.of(
          new LayerBlob(
              json.path("mediaType").asText(),
              Digest.parse(json.path("digest").asText()),
              json.path("size").asLong(),
              Digest.parse(json.path("diffId").asText())));
    } catch (IOException | IllegalArgumentException e) {
      // A damaged record costs only the reuse: the exporter then writes the layer afresh.
      return Optional.empty();
    }
  }

  public void discard(ActiveLayer active) {
    try {
      FileTrees.deleteRecursively(active.dir());
    } catch (IOException e) {
      // Leftover active layers are removed at the next start; nothing references them.
    }
  }

  /** The layer directories of {@code snapshot}, topmost first, as overlayfs stacks them. */
  public List<Path> lowerDirs(Snapshot snapshot) {
    List<Path> dirs = new ArrayList<>();
    List<Layer> layers = snapshot.layers();
    for (int i = layers.size() - 1; i >= 0; i--) {
      dirs.add(layers.get(i).dir());
    }
    return dirs;
  }

  /** The ids of every committed layer on disk. */
  public List<String> committedIds() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> name.matches("\\d{1,18}"))
          .toList();
    }
  }

  private long highestCommittedId() throws IOException {
    return committedIds().stream().mapToLong(Long::parseLong).max().orElse(0);
  }
}

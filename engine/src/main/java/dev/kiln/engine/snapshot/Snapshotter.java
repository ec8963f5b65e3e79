package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Keeps layers under {@code ROOT/snapshots}: active layers are written in {@code active-ID/} and
 * committed by an atomic rename to a short numeric id (short, so that overlayfs mount options of
 * deep stacks stay under the kernel's one-page limit).
 */
public final class Snapshotter {
  private final Path dir;
  private final AtomicLong nextId;

  public Snapshotter(Path root) throws IOException {
    this.dir = root.resolve("snapshots");
    Files.createDirectories(dir);
    this.nextId = new AtomicLong(highestCommittedId() + 1);
  }

  /** The directory holding all layers; overlay options name layers relative to it. */
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
    FileTrees.deleteRecursively(active.work());
    String id = Long.toString(nextId.getAndIncrement());
    Path committed = dir.resolve(id);
    Files.move(active.dir(), committed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return new Layer(id, committed.resolve("fs"));
  }

  public void discard(ActiveLayer active) {
    try {
      FileTrees.deleteRecursively(active.dir());
    } catch (IOException e) {
      // Leftover active layers are removed at the next start; nothing references them.
    }
  }

  /** The overlayfs {@code lowerdir} value for {@code snapshot}, topmost first, relative paths. */
  public String lowerDirs(Snapshot snapshot) {
    List<String> parts = new ArrayList<>();
    List<Layer> layers = snapshot.layers();
    for (int i = layers.size() - 1; i >= 0; i--) {
      parts.add(dir.relativize(layers.get(i).dir()).toString());
    }
    return String.join(":", parts);
  }

  private long highestCommittedId() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> name.matches("\\d{1,18}"))
          .mapToLong(Long::parseLong)
          .max()
          .orElse(0);
    }
  }
}

package dev.kiln.engine.check;

import dev.kiln.engine.RootLock;
import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.SnapshotterMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a root directory as the last process left it: refuses one that is missing, that is not a
 * Kiln root, or that an engine uses (it takes the engine's lock, {@code ROOT/lock}); opens its
 * stores without the start-up recovery an engine runs, so that what a crash left is seen; and runs
 * a {@link StoreCheck}. Starts no actor system and needs no sandbox.
 */
public final class RootCheck {
  private RootCheck() {}

  /** Checks {@code root}, repairing when {@code repair}. Blocking. */
  public static CheckReport run(Path root, boolean repair) throws IOException {
    Path dir = root.toAbsolutePath().normalize();
    if (!Files.exists(dir)) {
      throw new IOException(dir + " does not exist: no Kiln root to check (is --root right?)");
    }
    if (!Files.isDirectory(dir.resolve("meta"))) {
      throw new IOException(
          dir + " is not a Kiln root: it has no meta/ directory (is --root right?)");
    }
    try (RootLock lock =
            RootLock.take(
                dir, "stop it and run kiln check again: a check needs the root to itself");
        CacheStore cache = CacheStore.open(dir)) {
      ContentStore content = new ContentStore(dir);
      // The snapshotter only lists and reads layers here: its mode matters to mounts alone.
      Snapshotter snapshotter = new Snapshotter(dir, SnapshotterMode.COPY);
      ImageStore images = new ImageStore(dir, content);
      return new StoreCheck(dir, content, cache, snapshotter, images).run(repair);
    }
  }
}

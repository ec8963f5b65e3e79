package dev.kiln.engine.check;

import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a root's stores, each on its own and against each other, and with {@code repair} drops
 * only what is broken (see docs/check.md). For stores nothing else uses meanwhile: {@link
 * RootCheck} holds the root's lock around it.
 */
public final class StoreCheck {
  private final Path root;
  private final ContentStore content;
  private final CacheStore cache;
  private final Snapshotter snapshotter;
  private final ImageStore images;

  /** The stores of {@code root}, opened by the caller. */
  public StoreCheck(
      Path root,
      ContentStore content,
      CacheStore cache,
      Snapshotter snapshotter,
      ImageStore images) {
    this.root = root;
    this.content = content;
    this.cache = cache;
    this.snapshotter = snapshotter;
    this.images = images;
  }

  /** Checks everything, repairing what can be when {@code repair}. Blocking: hashes every blob. */
  public CheckReport run(boolean repair) throws IOException {
    Path contentDir = root.resolve("content");
    BlobCheck.Result blobs =
        new BlobCheck(contentDir.resolve("blobs").resolve("sha256"), content).run();
    LayerCheck.Result layers = new LayerCheck(snapshotter).run();
    RecordCheck.Result records = new RecordCheck(cache, layers.present(), layers.broken()).run();
    ImageCheck.Result tags =
        new ImageCheck(images, content, blobs.bad(), root.resolve("images").resolve("index.json"))
            .run();
    List<Finding> leftovers =
        new LeftoverCheck(
                contentDir.resolve("ingest"),
                root.resolve("images"),
                snapshotter.snapshotsDir(),
                content)
            .run();
    // The order repairs go in: records and metadata are dropped before the layers they name are
    // removed, so that a crash midway never leaves a record naming missing data.
    List<Finding> findings = new ArrayList<>(blobs.findings());
    findings.addAll(records.findings());
    findings.addAll(layers.findings());
    findings.addAll(tags.findings());
    findings.addAll(leftovers);
    List<Problem> problems = new ArrayList<>();
    for (Finding finding : findings) {
      problems.add(repair ? finding.repair() : finding.problem());
    }
    if (repair) {
      // Values whose checksum fails are invisible to a listing; dropping them is how to see them.
      int damaged = cache.dropWhere(record -> false);
      if (damaged > 0) {
        problems.add(
            new Problem(
                Problem.Kind.DAMAGED_RECORDS,
                root.resolve("meta").toString(),
                damaged + " cache record value(s) failed their checksum",
                Problem.Action.DROP_RECORD,
                true));
      }
    }
    return new CheckReport(
        root,
        repair,
        new CheckReport.Counts(
            blobs.checked(), records.checked(), layers.checked(), tags.checked()),
        problems);
  }
}

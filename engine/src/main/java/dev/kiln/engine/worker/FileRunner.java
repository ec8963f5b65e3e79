package dev.kiln.engine.worker;

import dev.kiln.engine.fileop.FileActionApplier;
import dev.kiln.engine.fileop.LinkSource;
import dev.kiln.engine.fileop.UserLookup;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.FileAction;
import dev.kiln.engine.graph.FileOp;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies file actions on a writable view of input 0 whose writes land in a fresh layer; copy
 * sources are read-only views of the other inputs.
 */
final class FileRunner extends BlockingRunner {
  private final FileOp op;
  private final Snapshotter snapshotter;

  FileRunner(Digest digest, FileOp op, Snapshotter snapshotter, BlockingPool pool) {
    super(digest, pool);
    this.op = op;
    this.snapshotter = snapshotter;
  }

  @Override
  Snapshot execute(List<Snapshot> inputs, RunContext context) throws Exception {
    Snapshot base = base(inputs);
    return addLayer(snapshotter, base, upper -> apply(base, upper, inputs, context));
  }

  private void apply(Snapshot base, ActiveLayer upper, List<Snapshot> inputs, RunContext context)
      throws Exception {
    List<MountedFs> views = new ArrayList<>();
    try (MountedFs rootfs = snapshotter.mount(base, Optional.of(upper))) {
      List<Path> inputRoots = new ArrayList<>();
      for (Snapshot input : inputs) {
        MountedFs view = snapshotter.mount(input, Optional.empty());
        views.add(view);
        inputRoots.add(view.path());
      }
      UserLookup users = UserLookup.in(rootfs.path());
      for (FileAction action : op.actions()) {
        context.cancellation().check();
        // Input views are committed layers (or throwaway copies of them): a file the copy would
        // leave unchanged can be linked, not copied. From an overlay view the link fails and the
        // copy goes on.
        FileActionApplier.apply(
            action, rootfs.path(), inputRoots, LinkSource.SOURCE_IF_UNCHANGED, users);
      }
    } finally {
      for (MountedFs view : views) {
        view.close();
      }
    }
  }
}

package dev.kiln.engine.check;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds what interrupted runs leave and nothing names: temp files of blobs being ingested ({@code
 * content/ingest/ingest-*.tmp}), empty or superseded partial downloads, temp files of the image
 * index, and layers never committed ({@code snapshots/active-*}). Only what is certainly garbage
 * while the root is locked: a partial download with bytes in it is kept, since the next pull of its
 * blob resumes from it.
 */
final class LeftoverCheck {
  private static final String PARTIAL = "([0-9a-f]{64})\\.partial";

  private final Path ingest;
  private final Path imagesDir;
  private final Path snapshots;
  private final ContentStore content;

  LeftoverCheck(Path ingest, Path imagesDir, Path snapshots, ContentStore content) {
    this.ingest = ingest;
    this.imagesDir = imagesDir;
    this.snapshots = snapshots;
    this.content = content;
  }

  List<Finding> run() throws IOException {
    List<Finding> findings = new ArrayList<>();
    for (Path file : Dirs.sortedEntries(ingest)) {
      inIngest(file, findings);
    }
    for (Path file : Dirs.sortedEntries(imagesDir)) {
      String name = file.getFileName().toString();
      if (name.startsWith(".kiln-") && name.endsWith(".tmp")) {
        findings.add(temp(file, "the temp file of an interrupted write of the image index"));
      }
    }
    for (Path dir : Dirs.sortedEntries(snapshots)) {
      String name = dir.getFileName().toString();
      if (name.startsWith("active-")) {
        findings.add(
            Finding.fixable(
                Problem.Kind.UNFINISHED_LAYER,
                dir.toString(),
                name.startsWith("active-gc-") || name.startsWith("active-check-")
                    ? "a layer whose removal was interrupted"
                    : "the layer of a step that never finished",
                Problem.Action.REMOVE_LEFTOVER,
                () -> FileTrees.deleteRecursively(dir)));
      }
    }
    return findings;
  }

  private void inIngest(Path file, List<Finding> findings) throws IOException {
    String name = file.getFileName().toString();
    boolean regular = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    if (regular && name.startsWith("ingest-") && name.endsWith(".tmp")) {
      findings.add(temp(file, "the temp file of a blob whose writing was interrupted"));
    } else if (regular && name.matches(PARTIAL)) {
      Digest digest = Digest.fromHex(name.substring(0, name.indexOf('.')));
      if (Files.size(file) == 0) {
        findings.add(temp(file, "an empty partial download"));
      } else if (content.has(digest)) {
        findings.add(temp(file, "a partial download of a blob that is stored whole"));
      }
    } else {
      findings.add(
          Finding.manual(
              Problem.Kind.STRAY_FILE,
              file.toString(),
              "not a file Kiln writes here; move it out of the root"));
    }
  }

  private static Finding temp(Path file, String what) {
    return Finding.fixable(
        Problem.Kind.TEMP_FILE,
        file.toString(),
        what,
        Problem.Action.REMOVE_LEFTOVER,
        () -> Files.deleteIfExists(file));
  }
}

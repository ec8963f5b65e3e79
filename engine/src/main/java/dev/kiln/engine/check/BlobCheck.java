package dev.kiln.engine.check;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Re-hashes every blob under {@code ROOT/content/blobs/sha256} and compares the digest with the
 * file's name. A blob that does not match (a flipped byte, a truncated or empty file) is deleted by
 * a repair: nothing can use it, and whoever needs it fetches or builds it again.
 */
final class BlobCheck {
  private static final String HEX = "[0-9a-f]{64}";

  private final Path dir;
  private final ContentStore content;

  /** How many blobs were hashed, those that cannot be used, and what is wrong. */
  record Result(int checked, Set<Digest> bad, List<Finding> findings) {}

  BlobCheck(Path dir, ContentStore content) {
    this.dir = dir;
    this.content = content;
  }

  Result run() throws IOException {
    int checked = 0;
    Set<Digest> bad = new HashSet<>();
    List<Finding> findings = new ArrayList<>();
    for (Path file : Dirs.sortedEntries(dir)) {
      String name = file.getFileName().toString();
      if (!name.matches(HEX) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        findings.add(
            Finding.manual(
                Problem.Kind.STRAY_FILE,
                file.toString(),
                (name.matches(HEX) ? "not a regular file" : "not named by a sha256 digest")
                    + ": not a blob, Kiln never reads it; move it out of the root"));
        continue;
      }
      checked++;
      Digest digest = Digest.fromHex(name);
      Digest actual;
      long size;
      try {
        actual = Digest.ofFile(file);
        size = Files.size(file);
      } catch (IOException e) {
        bad.add(digest);
        findings.add(
            Finding.manual(
                Problem.Kind.UNREADABLE_BLOB,
                file.toString(),
                "cannot be read ("
                    + e.getMessage()
                    + "); make it readable by kiln, or delete it and fetch or build it again"));
        continue;
      }
      if (!actual.equals(digest)) {
        bad.add(digest);
        findings.add(
            Finding.fixable(
                Problem.Kind.CORRUPT_BLOB,
                file.toString(),
                "its content (" + size + " bytes) has digest " + actual + ", not its name's",
                Problem.Action.DELETE_BLOB,
                () -> content.delete(digest)));
      }
    }
    return new Result(checked, bad, findings);
  }
}

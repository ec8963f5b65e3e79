package dev.kiln.engine.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Checks the job journal's write-ahead logs ({@code ROOT/journal/*.log}) before LevelDB opens them.
 * LevelDB drops a damaged record silently when it opens, and deletes the log: a bit flipped on disk
 * would make jobs vanish without a word. A log with a record whose checksum fails is copied to
 * {@code ROOT/journal-damaged/} first, and the start says so and what to do. A record cut short at
 * the end is what a crash leaves, not damage: LevelDB drops it, and that costs only events that
 * were not yet acknowledged.
 */
public final class JournalCheck {
  private static final int BLOCK = 32 * 1024;
  private static final int HEADER = 7;
  private static final int MASK_DELTA = 0xa282ead8;

  private JournalCheck() {}

  /**
   * Checks the logs of {@code root}'s journal; for each damaged one, keeps a copy aside and returns
   * the warning that names it. Never throws: a journal it cannot read is a warning too.
   */
  public static List<String> run(Path root) {
    try {
      return check(root);
    } catch (IOException e) {
      return List.of("cannot check the job journal under " + root + ": " + e.getMessage());
    }
  }

  private static List<String> check(Path root) throws IOException {
    List<String> warnings = new ArrayList<>();
    Path journal = root.resolve("journal");
    if (!Files.isDirectory(journal)) {
      return warnings;
    }
    List<Path> logs;
    try (var files = Files.list(journal)) {
      logs = files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
    }
    for (Path log : logs) {
      Optional<String> damage = damage(Files.readAllBytes(log));
      if (damage.isPresent()) {
        Path aside = Files.createDirectories(root.resolve("journal-damaged"));
        Path copy = aside.resolve(log.getFileName() + "." + System.currentTimeMillis());
        Files.copy(log, copy, StandardCopyOption.COPY_ATTRIBUTES);
        warnings.add(
            "the job journal's "
                + log
                + " is damaged ("
                + damage.get()
                + "): the jobs it held from there on are lost to kiln ls and kiln resume; a copy"
                + " is kept as "
                + copy
                + ". The cache and images are not affected. To start with an empty journal,"
                + " stop Kiln and move "
                + journal
                + " away.");
      }
    }
    return warnings;
  }

  /** What is wrong with a LevelDB log, if anything but a record cut short at its end. */
  static Optional<String> damage(byte[] log) {
    ByteBuffer in = ByteBuffer.wrap(log).order(ByteOrder.LITTLE_ENDIAN);
    while (in.remaining() >= HEADER) {
      int leftInBlock = BLOCK - in.position() % BLOCK;
      if (leftInBlock < HEADER) {
        in.position(in.position() + leftInBlock); // a block's trailer
        continue;
      }
      int at = in.position();
      int stored = in.getInt();
      int length = Short.toUnsignedInt(in.getShort());
      int type = Byte.toUnsignedInt(in.get());
      if (type == 0 && length == 0 && stored == 0) {
        in.position(at + leftInBlock); // space LevelDB preallocated: the rest of the block
        continue;
      }
      if (length > leftInBlock - HEADER) {
        return Optional.of("a record at byte " + at + " is longer than its block");
      }
      if (length > in.remaining()) {
        return Optional.empty(); // cut short at the end: what a crash leaves
      }
      CRC32C crc = new CRC32C();
      crc.update(type);
      crc.update(log, in.position(), length);
      if (unmask(stored) != (int) crc.getValue()) {
        return Optional.of("checksum mismatch in the record at byte " + at);
      }
      in.position(in.position() + length);
    }
    return Optional.empty();
  }

  private static int unmask(int masked) {
    int rotated = masked - MASK_DELTA;
    return (rotated >>> 17) | (rotated << 15);
  }
}

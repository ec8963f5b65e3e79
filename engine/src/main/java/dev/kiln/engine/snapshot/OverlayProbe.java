package dev.kiln.engine.snapshot;

import dev.kiln.engine.content.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether overlay mounts work under a root, remembered until the next boot in {@code
 * ROOT/overlay-probe}: mounting a test overlay costs ~0.1 s of every start, and the answer only
 * changes with the kernel or the host's set-up, both of which a reboot covers. Only a success is
 * remembered, so a host that gains overlay support is noticed on the next start.
 */
public final class OverlayProbe {
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

  private OverlayProbe() {}

  /** True when an overlay can be mounted under {@code root}, probing at most once per boot. */
  public static boolean works(Path root) {
    return failure(root).isEmpty();
  }

  /** Why an overlay cannot be mounted under {@code root}, probing at most once per boot. */
  public static Optional<String> failure(Path root) {
    return failure(root, bootId());
  }

  static boolean works(Path root, Optional<String> boot) {
    return failure(root, boot).isEmpty();
  }

  private static Optional<String> failure(Path root, Optional<String> boot) {
    Path memo = root.resolve("overlay-probe");
    Optional<String> stamp = boot.map(id -> "overlay works; boot " + id + "\n");
    if (stamp.isPresent() && stamp.get().equals(read(memo))) {
      return Optional.empty();
    }
    Optional<String> failure = Snapshotter.overlayFailure(root);
    if (failure.isEmpty() && stamp.isPresent()) {
      try {
        AtomicFile.write(memo, stamp.get().getBytes(StandardCharsets.UTF_8), false);
      } catch (IOException e) {
        // Only a memo: the next start probes again.
      }
    }
    return failure;
  }

  private static String read(Path memo) {
    try {
      return Files.readString(memo, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static Optional<String> bootId() {
    try {
      return Optional.of(Files.readString(BOOT_ID, StandardCharsets.US_ASCII).strip())
          .filter(id -> !id.isEmpty());
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}

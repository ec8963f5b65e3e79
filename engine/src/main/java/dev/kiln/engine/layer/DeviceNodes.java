package dev.kiln.engine.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What happens to a layer's character and block devices: created with mknod when this process holds
 * CAP_MKNOD (Docker's and containerd's behaviour as root), skipped otherwise, as rootless runtimes
 * do. FIFOs need no privilege and whiteouts (0:0 character devices) are always written.
 */
enum DeviceNodes {
  CREATE,
  SKIP;

  private static final int CAP_MKNOD = 27;

  /** The choice for this process, from its effective capabilities. */
  static DeviceNodes forThisProcess() {
    return Holder.CURRENT;
  }

  private static final class Holder {
    static final DeviceNodes CURRENT = read();

    private static DeviceNodes read() {
      try {
        return fromProcStatus(Files.readString(Path.of("/proc/self/status")));
      } catch (IOException e) {
        return SKIP;
      }
    }
  }

  /** The choice for a process whose {@code /proc/PID/status} reads {@code status}. */
  static DeviceNodes fromProcStatus(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("CapEff:")) {
        try {
          long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
          return (caps & (1L << CAP_MKNOD)) != 0 ? CREATE : SKIP;
        } catch (NumberFormatException e) {
          return SKIP;
        }
      }
    }
    return SKIP;
  }
}

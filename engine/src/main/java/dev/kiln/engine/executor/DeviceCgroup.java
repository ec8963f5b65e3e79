package dev.kiln.engine.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The cgroup v1 devices cgroup every rootful crun step joins ({@code devices/…/kiln-PID}): a step
 * may make device nodes but open none beyond Docker's standard ones. crun remounts the step's root
 * without {@code nodev}, so a root step (it holds CAP_MKNOD) could otherwise open any device it
 * makes, or one an image layer brought: a disk of the host. One cgroup for all steps, since moving
 * into an existing cgroup is cheap (~0.3 ms) and making one per step is not.
 */
final class DeviceCgroup implements AutoCloseable {
  private static final Path HIERARCHY = Path.of("/sys/fs/cgroup/devices");

  /** Docker's default rules, tun aside: any node may be made, only these opened. */
  static final List<String> ALLOWED =
      List.of(
          "c *:* m",
          "b *:* m",
          "c 1:3 rwm",
          "c 1:5 rwm",
          "c 1:7 rwm",
          "c 1:8 rwm",
          "c 1:9 rwm",
          "c 5:0 rwm",
          "c 5:1 rwm",
          "c 5:2 rwm",
          "c 136:* rwm");

  private final Path dir;

  private DeviceCgroup(Path dir) {
    this.dir = dir;
  }

  /** Where Kiln's devices cgroup goes: in this process's, when the host has the v1 controller. */
  static Optional<Path> parent() {
    if (!Files.isRegularFile(HIERARCHY.resolve("devices.allow"))) {
      return Optional.empty();
    }
    try {
      List<String> own =
          Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.US_ASCII);
      return StepCgroups.ownPath(own, "devices")
          .map(path -> StepCgroups.within(HIERARCHY, path))
          .filter(Files::isWritable);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Kiln's devices cgroup, made now, when this host has the v1 controller and Kiln may use it. */
  static Optional<DeviceCgroup> open() {
    Optional<Path> found = parent();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Path parent = found.get();
    Path dir = parent.resolve("kiln-" + ProcessHandle.current().pid());
    if (!StepCgroups.PLAIN.matcher(dir.toString()).matches()) {
      return Optional.empty(); // It goes into a shell line.
    }
    try {
      StepCgroups.removeStale(parent);
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("devices.deny"), "a");
      for (String rule : ALLOWED) {
        Files.writeString(dir.resolve("devices.allow"), rule);
      }
    } catch (IOException | UnsupportedOperationException e) {
      StepCgroups.removeQuietly(dir);
      return Optional.empty();
    }
    return Optional.of(new DeviceCgroup(dir));
  }

  /** The file a step's shell writes its pid to. */
  Path procs() {
    return dir.resolve("cgroup.procs");
  }

  @Override
  public void close() {
    StepCgroups.removeQuietly(dir);
  }
}

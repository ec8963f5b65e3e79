package dev.kiln.engine.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Where steps get cgroups of their own: {@code kiln-PID} under this process's cgroup, in cgroup
 * v1's pids and memory hierarchies, or in a v2 subtree delegated to Kiln (its parent already
 * enables the controllers: a v2 cgroup that holds processes, as Kiln's own does, cannot enable them
 * for its children). Rootless Kiln can write none of them unless they are delegated.
 */
final class StepCgroups implements AutoCloseable {
  private static final Path MOUNT = Path.of("/sys/fs/cgroup");

  /** Directory names Kiln writes into a shell line: nothing the shell would interpret. */
  static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9/_.:@-]+");

  private final List<Path> parents;
  private final boolean v2;
  private final AtomicLong steps = new AtomicLong();

  private StepCgroups(List<Path> parents, boolean v2) {
    this.parents = List.copyOf(parents);
    this.v2 = v2;
  }

  /**
   * Kiln's step cgroups on this host for {@code limits}, when it may make them. In v1 only the
   * hierarchies of the limits set: joining one costs a step ~9 ms here (the kernel waits for an RCU
   * grace period on every move into a cgroup; HardenedSandboxBench).
   */
  static Optional<StepCgroups> open(StepLimits limits) {
    List<String> own;
    try {
      own = Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return Optional.empty();
    }
    String name = "kiln-" + ProcessHandle.current().pid();
    if (Files.isRegularFile(MOUNT.resolve("cgroup.controllers"))) {
      return ownPath(own, "")
          .map(path -> within(MOUNT, path))
          .filter(parent -> controllers(parent).contains("pids"))
          .flatMap(parent -> make(List.of(parent.resolve(name)), true));
    }
    List<Path> parents = new ArrayList<>();
    List<String> controllers = new ArrayList<>();
    if (limits.pids() > 0) {
      controllers.add("pids");
    }
    if (limits.memoryBytes() > 0) {
      controllers.add("memory");
    }
    for (String controller : controllers) {
      Path mount = MOUNT.resolve(controller);
      ownPath(own, controller)
          .filter(path -> Files.isDirectory(mount))
          .ifPresent(path -> parents.add(within(mount, path).resolve(name)));
    }
    return make(parents, false);
  }

  private static Optional<StepCgroups> make(List<Path> parents, boolean v2) {
    if (parents.isEmpty()
        || !parents.stream().allMatch(p -> PLAIN.matcher(p.toString()).matches())) {
      return Optional.empty();
    }
    try {
      for (Path parent : parents) {
        removeStale(parent.getParent());
        Files.createDirectories(parent);
      }
      if (v2) {
        Files.writeString(parents.get(0).resolve("cgroup.subtree_control"), "+pids +memory");
      }
    } catch (IOException | UnsupportedOperationException e) {
      parents.forEach(StepCgroups::removeQuietly);
      return Optional.empty();
    }
    return Optional.of(new StepCgroups(parents, v2));
  }

  /** Removes what Kiln processes that no longer run left in {@code dir} (they were killed). */
  static void removeStale(Path dir) throws IOException {
    try (var entries = Files.newDirectoryStream(dir, "kiln-*")) {
      for (Path left : entries) {
        String pid = left.getFileName().toString().substring("kiln-".length());
        if (pid.chars().allMatch(Character::isDigit)
            && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
          try (var steps = Files.newDirectoryStream(left, "step-*")) {
            steps.forEach(StepCgroups::removeQuietly);
          }
          removeQuietly(left);
        }
      }
    }
  }

  /** This process's path in the hierarchy of {@code controller} ("" is v2's unified one). */
  static Optional<String> ownPath(List<String> lines, String controller) {
    for (String line : lines) {
      String[] fields = line.split(":", 3);
      if (fields.length == 3 && List.of(fields[1].split(",")).contains(controller)) {
        return Optional.of(fields[2]);
      }
      if (fields.length == 3 && controller.isEmpty() && fields[0].equals("0")) {
        return Optional.of(fields[2]);
      }
    }
    return Optional.empty();
  }

  /** The directory of {@code path} under {@code mount}; its root when a namespace hides it. */
  static Path within(Path mount, String path) {
    Path dir = mount.resolve(path.replaceFirst("^/+", ""));
    return Files.isDirectory(dir) ? dir : mount;
  }

  private static String controllers(Path dir) {
    try {
      return Files.readString(dir.resolve("cgroup.subtree_control"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }

  /** A new cgroup for one step, limited to {@code limits}. */
  StepCgroup create(StepLimits limits) throws IOException {
    String name = "step-" + steps.incrementAndGet();
    List<Path> dirs = new ArrayList<>();
    try {
      for (Path parent : parents) {
        Path dir = Files.createDirectory(parent.resolve(name));
        dirs.add(dir);
        limit(dir, limits);
      }
    } catch (IOException e) {
      dirs.forEach(StepCgroups::removeQuietly);
      throw e;
    }
    return new StepCgroup(dirs, limits);
  }

  private void limit(Path dir, StepLimits limits) throws IOException {
    if (limits.pids() > 0 && Files.exists(dir.resolve("pids.max"))) {
      Files.writeString(dir.resolve("pids.max"), Long.toString(limits.pids()));
    }
    if (limits.memoryBytes() > 0) {
      String file = v2 ? "memory.max" : "memory.limit_in_bytes";
      if (Files.exists(dir.resolve(file))) {
        Files.writeString(dir.resolve(file), Long.toString(limits.memoryBytes()));
      }
    }
  }

  /** What {@code kiln info} says of them. */
  String describe() {
    return (v2 ? "cgroup v2 under " : "cgroup v1 under ")
        + parents.stream()
            .map(parent -> parent.getParent().toString())
            .collect(java.util.stream.Collectors.joining(", "));
  }

  /** Removes Kiln's parents, once every step's cgroup is gone. */
  @Override
  public void close() {
    parents.forEach(StepCgroups::removeQuietly);
  }

  static void removeQuietly(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // A cgroup that still holds a process: the host removes nothing else, and it is empty soon.
    }
  }
}

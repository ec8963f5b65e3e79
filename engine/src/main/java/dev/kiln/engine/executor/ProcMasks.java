package dev.kiln.engine.executor;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Docker's masked and read-only paths for a step's {@code /proc}, as bwrap options: the files that
 * leak host state ({@code /proc/kcore}, {@code /proc/keys}, {@code /proc/timer_list}, …) read as
 * empty, the directories ({@code /proc/acpi}, {@code /proc/scsi}) are empty and read-only, and the
 * whole of {@code /proc} is read-only, which covers {@code /proc/sys}, {@code /proc/sysrq-trigger},
 * {@code /proc/irq} and {@code /proc/bus}: a step that could write {@code
 * /proc/sys/kernel/core_pattern} could make the host run a program of its choice as root.
 */
final class ProcMasks {
  static final List<String> MASKED_FILES =
      List.of(
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug");

  static final List<String> MASKED_DIRS = List.of("/proc/acpi", "/proc/scsi");

  /** The options, for the entries this kernel has (a step's procfs has the same as the host's). */
  static final List<String> ARGS = args(Path.of("/"));

  private ProcMasks() {}

  static List<String> args(Path hostRoot) {
    List<String> args = new ArrayList<>();
    for (String file : MASKED_FILES) {
      if (Files.exists(hostRoot.resolve(file.substring(1)), LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--ro-bind", "/dev/null", file));
      }
    }
    for (String dir : MASKED_DIRS) {
      if (Files.isDirectory(hostRoot.resolve(dir.substring(1)), LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--tmpfs", dir, "--remount-ro", dir));
      }
    }
    // Not recursive: the masks above stay as they are.
    args.addAll(List.of("--remount-ro", "/proc"));
    return List.copyOf(args);
  }
}

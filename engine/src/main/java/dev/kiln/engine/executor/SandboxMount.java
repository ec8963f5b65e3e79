package dev.kiln.engine.executor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One mount a step's sandbox makes beyond {@code /proc} and {@code /dev}, at a destination with no
 * link on the way; each executor renders the list in its own form (bwrap options, OCI mounts).
 */
sealed interface SandboxMount {
  /** Where it is mounted in the step's root. */
  String dest();

  /** A host file or directory bound at {@code dest}. */
  record Bind(Path source, String dest, boolean readonly) implements SandboxMount {}

  /** A fresh tmpfs, mode 1777, of at most {@code size} bytes when given. */
  record Tmpfs(String dest, Optional<Long> size) implements SandboxMount {}

  /** The bwrap options that make {@code mounts}, in order. */
  static List<String> bwrapArgs(List<SandboxMount> mounts) {
    List<String> args = new ArrayList<>();
    for (SandboxMount mount : mounts) {
      if (mount instanceof Bind bind) {
        args.addAll(
            List.of(
                bind.readonly() ? "--ro-bind" : "--bind", bind.source().toString(), bind.dest()));
      } else {
        Tmpfs tmpfs = (Tmpfs) mount;
        tmpfs.size().ifPresent(size -> args.addAll(List.of("--size", Long.toString(size))));
        args.addAll(List.of("--perms", "1777", "--tmpfs", tmpfs.dest()));
      }
    }
    return args;
  }
}

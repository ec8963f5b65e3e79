package dev.kiln.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --root DIR}: Kiln's state directory, shared by every command that opens an engine. */
final class RootOption {
  @Option(
      names = "--root",
      paramLabel = "DIR",
      description =
          "Kiln's state directory (default: /var/lib/kiln as root, else ~/.local/share/kiln)."
              + " Steps that run as another user need it reachable by all users.")
  Optional<Path> root = Optional.empty();

  /** The directory given, or the default. */
  Path path() {
    return root.orElseGet(RootOption::defaultRoot);
  }

  static Path defaultRoot() {
    if (isRoot()) {
      return Path.of("/var/lib/kiln");
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    Path base =
        xdg != null && !xdg.isEmpty()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".local", "share");
    return base.resolve("kiln");
  }

  static boolean isRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}

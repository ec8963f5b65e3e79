package dev.kiln.cli;

import dev.kiln.engine.host.IdRange;
import dev.kiln.engine.host.UserNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How Kiln holds its privileges on this host: as root, or rootless in the user namespace the {@code
 * kiln} command entered (with the user's subordinate ids, or with the user's id alone).
 */
enum HostMode {
  /** Real root: the host's own ids. */
  ROOTFUL,
  /** Root of a user namespace that maps the user and a range of subordinate ids. */
  ROOTLESS,
  /** Root of a user namespace that maps the user's id alone. */
  ROOTLESS_SINGLE_ID,
  /** A normal user outside any namespace of Kiln's: no engine can run. */
  UNPRIVILEGED;

  /** The mode of this process. */
  static HostMode current() {
    UserNamespace namespace = UserNamespace.current();
    if (namespace.rootful()) {
      return uid() == 0 ? ROOTFUL : UNPRIVILEGED;
    }
    return namespace.singleId() ? ROOTLESS_SINGLE_ID : ROOTLESS;
  }

  /** Whether Kiln keeps its state in the system's directories ({@code /var/lib}, {@code /run}). */
  boolean systemWide() {
    return this == ROOTFUL;
  }

  /** What {@code kiln info} says of it. */
  String describe() {
    return switch (this) {
      case ROOTFUL -> "rootful (root on the host)";
      case ROOTLESS -> "rootless (a user namespace with the user's subordinate ids)";
      case ROOTLESS_SINGLE_ID -> "rootless (a user namespace with the user's id alone)";
      case UNPRIVILEGED -> "unprivileged, outside a user namespace: no builds";
    };
  }

  /** Why an engine cannot start here, when it cannot. */
  Optional<String> refusal() {
    if (this != UNPRIVILEGED) {
      return Optional.empty();
    }
    return Optional.of(
        "Kiln runs as a normal user in a user namespace of its own, which the kiln command"
            + " enters: run it through the kiln command, or as: unshare --map-root-user"
            + " --map-users=auto --map-groups=auto --mount java -jar kiln.jar ARGS");
  }

  /** The one warning a rootless Kiln without subordinate ids gives, saying how to get them. */
  Optional<String> warning() {
    if (this != ROOTLESS_SINGLE_ID) {
      return Optional.empty();
    }
    String user = Optional.ofNullable(System.getenv("USER")).orElse("USER");
    return Optional.of(
        "warning: rootless without subordinate ids (no range for "
            + user
            + " in /etc/subuid and /etc/subgid, or newuidmap and newgidmap missing): every file"
            + " of a build belongs to root, a step's chown to another user fails, USER steps"
            + " run as their uid in a namespace of their own, and setuid binaries gain nothing"
            + " (bwrap runs steps). To keep owners: apt-get install"
            + " uidmap; usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "
            + user);
  }

  /** The id maps as {@code kiln info} shows them. */
  static String mapping(List<IdRange> ranges) {
    return ranges.stream().map(IdRange::describe).collect(Collectors.joining(", "));
  }

  /**
   * The home directory of the user who ran Kiln: {@code $HOME}, since in a namespace Java's {@code
   * user.home} is that of the namespace's root.
   */
  static Path home() {
    String home = System.getenv("HOME");
    return home != null && !home.isEmpty()
        ? Path.of(home)
        : Path.of(System.getProperty("user.home"));
  }

  /** The user's uid on the host (outside Kiln's namespace). */
  static long hostUid() {
    UserNamespace namespace = UserNamespace.current();
    return namespace.rootful() ? uid() : namespace.hostUidOfRoot();
  }

  private static long uid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return -1;
    }
  }
}

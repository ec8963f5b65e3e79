package dev.kiln.engine.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The user namespace Kiln runs in, from {@code /proc/self/uid_map} and {@code gid_map}: rootful
 * (the host's own ids), or rootless (the {@code kiln} command entered a namespace in which the user
 * is root) with subordinate ids or with the user's id alone.
 */
public record UserNamespace(List<IdRange> uids, List<IdRange> gids) {
  /** The initial namespace's map: every id is itself. */
  private static final IdRange IDENTITY = new IdRange(0, 0, 4294967295L);

  private static final UserNamespace CURRENT = read(Path.of("/proc/self"));

  public UserNamespace {
    uids = List.copyOf(uids);
    gids = List.copyOf(gids);
  }

  /** This process's namespace (read once: a process cannot change its own map). */
  public static UserNamespace current() {
    return CURRENT;
  }

  /** The namespace described by {@code proc}'s {@code uid_map} and {@code gid_map}. */
  static UserNamespace read(Path proc) {
    return new UserNamespace(ranges(proc.resolve("uid_map")), ranges(proc.resolve("gid_map")));
  }

  /** Parses an id map; a missing or unreadable one is the initial namespace's. */
  static List<IdRange> ranges(Path map) {
    List<String> lines;
    try {
      lines = Files.readAllLines(map, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return List.of(IDENTITY);
    }
    return parse(lines);
  }

  /** The ranges of an id map's lines. */
  static List<IdRange> parse(List<String> lines) {
    List<IdRange> ranges = new ArrayList<>();
    for (String line : lines) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length == 3) {
        ranges.add(
            new IdRange(
                Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2])));
      }
    }
    return ranges;
  }

  /** Whether Kiln holds the host's own ids: no user namespace of its own. */
  public boolean rootful() {
    return uids.equals(List.of(IDENTITY));
  }

  /**
   * Whether only one uid or one gid exists here (no subordinate ids): files cannot belong to anyone
   * else, so an owner other than root cannot be kept.
   */
  public boolean singleId() {
    return !rootful() && (total(uids) == 1 || total(gids) == 1);
  }

  /** Whether {@code uid} exists in this namespace (a file can belong to it). */
  public boolean hasUid(long uid) {
    return uids.stream().anyMatch(range -> range.holds(uid));
  }

  /** Whether {@code gid} exists in this namespace. */
  public boolean hasGid(long gid) {
    return gids.stream().anyMatch(range -> range.holds(gid));
  }

  /** The host uid that this namespace's root is (the user who ran Kiln, when rootless). */
  public long hostUidOfRoot() {
    return uids.stream().filter(range -> range.holds(0)).findFirst().map(IdRange::outer).orElse(0L);
  }

  private static long total(List<IdRange> ranges) {
    return ranges.stream().mapToLong(IdRange::count).sum();
  }
}

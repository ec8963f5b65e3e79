package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves paths inside a root directory as if the process were chrooted there: symlinks are
 * followed, but absolute targets restart at the root and {@code ..} stops at it.
 */
public final class ScopedPath {
  /** The limit Linux applies (MAXSYMLINKS is 40; 255 matches BuildKit's continuity/fs). */
  static final int MAX_LINK_HOPS = 255;

  private ScopedPath() {}

  /**
   * Returns where {@code path} lands inside {@code root}; components that do not exist are kept as
   * written. The final component's symlink is followed only when {@code followFinalSymlink}.
   */
  public static Path resolve(Path root, String path, boolean followFinalSymlink)
      throws IOException {
    Deque<String> pending = new ArrayDeque<>(split(path));
    List<String> resolved = new ArrayList<>();
    int hops = 0;
    while (!pending.isEmpty()) {
      String part = pending.pollFirst();
      if (part.equals("..")) {
        if (!resolved.isEmpty()) {
          resolved.remove(resolved.size() - 1);
        }
        continue;
      }
      Path candidate = join(root, resolved).resolve(part);
      boolean isFinal = pending.isEmpty();
      if ((isFinal && !followFinalSymlink) || !Files.isSymbolicLink(candidate)) {
        resolved.add(part);
        continue;
      }
      if (++hops > MAX_LINK_HOPS) {
        throw new IOException(path + ": too many levels of symbolic links");
      }
      String target = Files.readSymbolicLink(candidate).toString();
      if (target.startsWith("/")) {
        resolved.clear();
      }
      List<String> targetParts = split(target);
      for (int i = targetParts.size() - 1; i >= 0; i--) {
        pending.addFirst(targetParts.get(i));
      }
    }
    return join(root, resolved);
  }

  private static Path join(Path root, List<String> parts) {
    return parts.isEmpty() ? root : root.resolve(String.join("/", parts));
  }

  private static List<String> split(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return parts;
  }
}

package dev.kiln.engine.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Reads the mount table of this process's mount namespace. */
public final class MountInfo {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountInfo() {}

  /** Mount points at or below {@code dir}, deepest first so they can be unmounted in order. */
  public static List<Path> mountPointsUnder(Path dir) throws IOException {
    Path base = dir.toAbsolutePath().normalize();
    List<Path> found = new ArrayList<>();
    for (String line : Files.readAllLines(MOUNTINFO)) {
      String[] fields = line.split(" ");
      if (fields.length > 4) {
        Path mountPoint = Path.of(unescape(fields[4]));
        if (mountPoint.startsWith(base)) {
          found.add(mountPoint);
        }
      }
    }
    found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    return found;
  }

  /** Whether {@code path} is currently a mount point. */
  public static boolean isMounted(Path path) throws IOException {
    Path target = path.toAbsolutePath().normalize();
    return mountPointsUnder(target).contains(target);
  }

  // The kernel writes space, tab, newline and backslash in paths as octal escapes (\040).
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && isOctal(field, i + 1)) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }
}

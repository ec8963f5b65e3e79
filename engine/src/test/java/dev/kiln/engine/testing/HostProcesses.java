package dev.kiln.engine.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's processes by their own argv ({@code /proc/PID/cmdline}). Not {@code
 * ProcessHandle.Info.commandLine()}: it puts the executable's path in place of argv[0], so a
 * busybox {@code sleep 600} shows as {@code /bin/busybox 600} and a search for it finds nothing.
 */
public final class HostProcesses {
  private HostProcesses() {}

  /** The live processes whose argv, joined by spaces, contains {@code text}. */
  public static List<ProcessHandle> withArgv(String text) {
    List<ProcessHandle> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path entry : entries) {
        if (argv(entry).contains(text)) {
          ProcessHandle.of(Long.parseLong(entry.getFileName().toString())).ifPresent(found::add);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
    }
    return found;
  }

  private static String argv(Path process) {
    try {
      byte[] bytes = Files.readAllBytes(process.resolve("cmdline"));
      return new String(bytes, StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return ""; // It ended meanwhile.
    }
  }
}

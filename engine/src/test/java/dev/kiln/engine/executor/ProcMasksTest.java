package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcMasksTest {
  @TempDir Path host;

  @Test
  void masksWhatThisKernelHasAndLeavesProcReadOnlyLast() throws Exception {
    Files.createDirectories(host.resolve("proc/acpi"));
    Files.writeString(host.resolve("proc/keys"), "");

    assertEquals(
        List.of(
            "--ro-bind",
            "/dev/null",
            "/proc/keys",
            "--tmpfs",
            "/proc/acpi",
            "--remount-ro",
            "/proc/acpi",
            "--remount-ro",
            "/proc"),
        ProcMasks.args(host));
  }
}

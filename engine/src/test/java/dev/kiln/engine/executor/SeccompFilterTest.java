package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeccompFilterTest {
  @TempDir Path dir;

  @Test
  void theProgramChecksTheArchitectureThenRefusesEveryListedCall() {
    ByteBuffer bpf = ByteBuffer.wrap(SeccompFilter.program()).order(ByteOrder.LITTLE_ENDIAN);
    int count = bpf.remaining() / 8;
    Set<Integer> compared = new HashSet<>();
    int[] ks = new int[count];
    for (int i = 0; i < count; i++) {
      short code = bpf.getShort();
      bpf.get();
      bpf.get();
      ks[i] = bpf.getInt();
      if (code == 0x15 && i > 1) {
        compared.add(ks[i]);
      }
    }

    assertEquals(SeccompFilter.REFUSED.size() + 7, count);
    assertEquals(0xc000003e, ks[1], "x86-64 only");
    assertEquals(Set.copyOf(SeccompFilter.REFUSED.values()), compared);
    assertEquals(0x7fff0000, ks[count - 2], "the rest is allowed");
    assertEquals(0x00050001, ks[count - 1], "refused with EPERM");
    assertTrue(
        SeccompFilter.REFUSED
            .keySet()
            .containsAll(
                Set.of(
                    "mount", "keyctl", "bpf", "userfaultfd", "kexec_load", "open_by_handle_at")));
  }

  @Test
  void installingTwiceWritesOneFileHoldingTheProgram() throws Exception {
    Path first = SeccompFilter.install(dir.resolve("seccomp"));
    Path second = SeccompFilter.install(dir.resolve("seccomp"));

    assertEquals(first, second);
    assertArrayEquals(SeccompFilter.program(), Files.readAllBytes(first));
    try (var files = Files.list(dir.resolve("seccomp"))) {
      assertEquals(1, files.count(), "no temporary file is left");
    }
  }
}

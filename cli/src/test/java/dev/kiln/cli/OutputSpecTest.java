package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OutputSpecTest {
  private static String error(String spec) {
    return assertThrows(IllegalArgumentException.class, () -> OutputSpec.parse(spec)).getMessage();
  }

  @Test
  void parsesLocalAndTarLikeBuildx() {
    assertEquals(new OutputSpec.Local(Path.of("out")), OutputSpec.parse("type=local,dest=out"));
    assertEquals(new OutputSpec.Tar(Path.of("a.tar")), OutputSpec.parse("dest=a.tar,type=tar"));
    assertEquals(new OutputSpec.Local(Path.of("dir")), OutputSpec.parse("dir"));
  }

  @Test
  void rejectsWhatItCannotDoWithTheReason() {
    assertEquals(
        "--output type=oci,dest=x: unknown type \"oci\" (known: local, tar)",
        error("type=oci,dest=x"));
    assertEquals("--output type=tar: type=tar needs dest=FILE", error("type=tar"));
    assertEquals("--output dest=x: type is missing (local or tar)", error("dest=x"));
    assertEquals(
        "--output type=local,dest=x,zip=1: unknown attribute zip",
        error("type=local,dest=x,zip=1"));
    assertEquals("--output type=local,,dest=x: \"\" is not KEY=VALUE", error("type=local,,dest=x"));
    assertEquals("--output type=local,type=tar: type is given twice", error("type=local,type=tar"));
  }
}

package dev.kiln.frontend.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FrontendRefTest {
  @Test
  void theSyntaxDirectiveIsReadOnlyAmongTheFirstDirectives() {
    assertEquals(
        Optional.of("kiln-frontend"), FrontendRef.syntax("# syntax=kiln-frontend\nx: y\n"));
    assertEquals(
        Optional.of("docker/dockerfile:1.7"),
        FrontendRef.syntax("# escape=`\n#  syntax = docker/dockerfile:1.7 \nFROM a\n"));
    assertEquals(Optional.empty(), FrontendRef.syntax("FROM a\n# syntax=b\n"));
    assertEquals(Optional.empty(), FrontendRef.syntax("# a comment\n# syntax=b\n"));
    assertEquals(Optional.empty(), FrontendRef.syntax(""));
  }

  @Test
  void dockerfileSyntaxOneIsKilnsOwnAndOtherVersionsAreRefused() {
    for (String ref :
        new String[] {
          "docker/dockerfile:1",
          "docker/dockerfile:1.7",
          "docker/dockerfile:1.7.1",
          "docker/dockerfile:1-labs",
          "docker.io/docker/dockerfile:1.4-labs",
          "docker/dockerfile",
          "docker/dockerfile:1@sha256:" + "a".repeat(64)
        }) {
      assertEquals(new FrontendRef.Builtin(), FrontendRef.resolve(ref, Map.of()), ref);
    }
    IllegalArgumentException old =
        assertThrows(
            IllegalArgumentException.class,
            () -> FrontendRef.resolve("docker/dockerfile:0.9", Map.of()));
    assertTrue(old.getMessage().contains("not 0.9"), old.getMessage());
  }

  @Test
  void aReferenceIsANamedContextALayoutOrARegistryImage() {
    assertEquals(
        new FrontendRef.Image("oci-layout:///l:latest"),
        FrontendRef.resolve("kiln-frontend", Map.of("kiln-frontend", "oci-layout:///l:latest")));
    assertEquals(
        new FrontendRef.Image("oci-layout:///x"), FrontendRef.resolve("oci-layout:///x", Map.of()));
    assertEquals(
        new FrontendRef.Image("docker-image://example.com/fe:2"),
        FrontendRef.resolve("example.com/fe:2", Map.of()));
    IllegalArgumentException dir =
        assertThrows(
            IllegalArgumentException.class,
            () -> FrontendRef.resolve("fe", Map.of("fe", "/home/me/fe")));
    assertTrue(dir.getMessage().contains("not an image"), dir.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FrontendRef.resolve("git://x/y", Map.of()));
  }
}

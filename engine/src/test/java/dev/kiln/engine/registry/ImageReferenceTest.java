package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Digest;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {
  private static final String HEX = "a".repeat(64);

  @ParameterizedTest
  @CsvSource({
    "busybox, docker.io/library/busybox:latest, busybox:latest",
    "busybox:1.36, docker.io/library/busybox:1.36, busybox:1.36",
    "user/app, docker.io/user/app:latest, user/app:latest",
    "docker.io/library/busybox:1.36, docker.io/library/busybox:1.36, busybox:1.36",
    "index.docker.io/library/busybox, docker.io/library/busybox:latest, busybox:latest",
    "docker.io/busybox, docker.io/library/busybox:latest, busybox:latest",
    "localhost/app, localhost/app:latest, localhost/app:latest",
    "localhost:5000/app, localhost:5000/app:latest, localhost:5000/app:latest",
    "ghcr.io/a/b/c:v1.2-rc_3, ghcr.io/a/b/c:v1.2-rc_3, ghcr.io/a/b/c:v1.2-rc_3",
    "[::1]:5000/app:x, [::1]:5000/app:x, [::1]:5000/app:x",
    "my-reg.example.com/a__b/c.d/e--f, my-reg.example.com/a__b/c.d/e--f:latest,"
        + " my-reg.example.com/a__b/c.d/e--f:latest",
  })
  void normalisesAsDockerDoes(String input, String normalised, String familiar) {
    ImageReference reference = ImageReference.parse(input);

    assertEquals(normalised, reference.toString());
    assertEquals(familiar, reference.familiar());
    assertEquals(reference, ImageReference.parse(reference.toString()));
  }

  @Test
  void aDigestReferenceHasNoDefaultTag() {
    ImageReference reference = ImageReference.parse("localhost:5000/app@sha256:" + HEX);

    assertEquals("localhost:5000", reference.registry());
    assertEquals("app", reference.repository());
    assertEquals(Optional.empty(), reference.tag());
    assertEquals(Optional.of(Digest.parse("sha256:" + HEX)), reference.digest());
    assertEquals("sha256:" + HEX, reference.manifestReference());
  }

  @Test
  void tagAndDigestAreBothKeptAndTheDigestWins() {
    ImageReference reference = ImageReference.parse("127.0.0.1:5000/a/b:tag@sha256:" + HEX);

    assertEquals("127.0.0.1:5000", reference.registry());
    assertEquals("a/b", reference.repository());
    assertEquals(Optional.of("tag"), reference.tag());
    assertEquals("sha256:" + HEX, reference.manifestReference());
    assertEquals("127.0.0.1:5000/a/b:tag@sha256:" + HEX, reference.toString());
  }

  @Test
  void aFirstComponentWithoutDotColonOrLocalhostIsADockerHubNamespace() {
    assertEquals("docker.io", ImageReference.parse("myhost/app").registry());
    assertEquals("myhost/app", ImageReference.parse("myhost/app").repository());
    assertEquals("myhost:5000", ImageReference.parse("myhost:5000/app").registry());
  }

  @Test
  void anUppercaseRepositoryIsRefusedWithDockersReason() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("Foo:bar"));

    assertEquals(
        "invalid reference \"Foo:bar\": repository name must be lowercase", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ":tag",
        "app:",
        "app@",
        "app@sha256:abc",
        "app@md5:" + "a",
        "app@sha256:" + "A",
        "/app",
        "app/",
        "a//b",
        "host:5000/",
        "a/../b",
        "..",
        "a/./b",
        "-app",
        "app-",
        "a___b",
        "a..b",
        "app:-tag",
        "app:.tag",
        "app:ta/g",
        "app:t@g",
        "host:99999/app",
        "host:0/app",
        "host:/app",
        "-host.com/app",
        "[::1/app",
        "[zz]:5000/app",
        "app@sha256:" + "a" + "@sha256:" + "b",
        "with space",
        "tab\there",
        "new\nline",
        "nul\0byte",
        "del\u007fchar",
        "caf\u00e9",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      })
  void malformedReferencesAreRefusedWithTheReferenceNamed(String input) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(input));

    assertTrue(e.getMessage().startsWith("invalid reference \""), e.getMessage());
    assertTrue(
        e.getMessage().chars().noneMatch(c -> c < 0x20 || c == 0x7f), "escaped: " + e.getMessage());
  }

  @Test
  void aVeryLongReferenceIsRefusedQuicklyAndShownShort() {
    String huge = "a".repeat(100_000);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(huge));

    assertTrue(e.getMessage().contains("longer than 1024"), e.getMessage());
    assertTrue(e.getMessage().length() < 300, e.getMessage());
  }

  @Test
  void aNameOverTwoHundredFiftyFiveCharactersIsRefused() {
    String name = "a/".repeat(130) + "b";
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(name));

    assertTrue(e.getMessage().contains("longer than 255"), e.getMessage());
  }

  @Test
  void pathComponentsThatWouldMakeARegexBacktrackAreCheckedInLinearTime() {
    String hostile = "a".repeat(200) + "-".repeat(10) + "!";
    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () -> assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(hostile)));
  }

  @Test
  void theConstructorValidatesToo() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new ImageReference("docker.io", "Bad", Optional.of("x"), Optional.empty()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ImageReference("bad host", "app", Optional.empty(), Optional.empty()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ImageReference("docker.io", "app", Optional.of("-x"), Optional.empty()));
  }

  @Test
  void withTagAndWithDigestKeepTheRepository() {
    ImageReference reference = ImageReference.parse("localhost:5000/app:1");
    Digest digest = Digest.parse("sha256:" + HEX);

    assertEquals("localhost:5000/app:2", reference.withTag("2").toString());
    assertEquals("localhost:5000/app:1@sha256:" + HEX, reference.withDigest(digest).toString());
    assertEquals("localhost:5000/other", reference.inRepository("other").name());
  }
}

package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageNameTest {
  @Test
  void namesAreNormalisedAsDockerDoes() {
    ImageName app = ImageName.parse("app");
    assertEquals("docker.io/library/app:latest", app.full());
    assertEquals("app:latest", app.familiar());
    assertEquals("latest", app.ociRefName());
    ImageName local = ImageName.parse("localhost:5000/team/app:1.2");
    assertEquals("localhost:5000/team/app:1.2", local.full());
    assertEquals("localhost:5000/team/app:1.2", local.familiar());
    assertEquals("1.2", local.ociRefName());
    assertEquals("user/app:v1", ImageName.parse("docker.io/user/app:v1").familiar());
  }

  @Test
  void malformedNamesAreRefusedWithTheReason() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ImageName.parse("App"))
            .getMessage()
            .startsWith("invalid image name \"App\": the repository must be lowercase"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ImageName.parse("app@sha256:12"))
            .getMessage()
            .contains("sha256:<64 hex digits>"));
  }
}

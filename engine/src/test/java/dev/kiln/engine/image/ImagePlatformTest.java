package dev.kiln.engine.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ImagePlatformTest {
  private static final String A = "sha256:" + "a".repeat(64);
  private static final String B = "sha256:" + "b".repeat(64);

  @Test
  void choosesTheEntryForThePlatformIgnoringTheVariant() throws IOException {
    JsonNode index =
        json(
            "{\"manifests\":["
                + entry(A, "{\"os\":\"linux\",\"architecture\":\"amd64\"}")
                + ","
                + entry(B, "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}")
                + "]}");

    assertEquals(A, ImagePlatform.choose(index, "linux/amd64").digest().toString());
    assertEquals(B, ImagePlatform.choose(index, "linux/arm64").digest().toString());
  }

  @Test
  void noMatchingEntryNamesThePlatformsOffered() throws IOException {
    JsonNode index =
        json(
            "{\"manifests\":["
                + entry(A, "{\"os\":\"windows\",\"architecture\":\"amd64\"}")
                + ","
                + entry(B, null)
                + "]}");

    IOException e =
        assertThrows(IOException.class, () -> ImagePlatform.choose(index, "linux/amd64"));
    assertEquals(
        "the image index has no manifest for linux/amd64 (platforms: windows/amd64, unknown)",
        e.getMessage());
  }

  @Test
  void theCurrentPlatformIsLinuxInOciNaming() {
    assertTrue(ImagePlatform.current().matches("linux/[a-z0-9]+"), ImagePlatform.current());
  }

  private static String entry(String digest, String platform) {
    return "{\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":10"
        + (platform == null ? "" : ",\"platform\":" + platform)
        + "}";
  }

  private static JsonNode json(String text) throws IOException {
    return new ObjectMapper().readTree(text);
  }
}

package dev.kiln.frontend.dockerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * Any JSON document read as an image's OCI config yields a run configuration that writes back and
 * reads the same: a base image's config cannot break a build. Text that is not JSON is the image
 * loader's error, raised before this reader runs. Seeds: {@code
 * ImageConfigJsonFuzzTestInputs/read/}.
 */
class ImageConfigJsonFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @FuzzTest
  void read(byte[] input) throws IOException {
    JsonNode document;
    try {
      document = JSON.readTree(input);
    } catch (IOException e) {
      return; // not JSON (or in no encoding Jackson detects): the image loader's error
    }
    if (document == null) {
      return;
    }
    ImageConfig config = ImageConfigJson.read(document);
    JsonNode written = ImageConfigJson.write(config);
    JsonNode again = ImageConfigJson.write(ImageConfigJson.read(written));
    assertEquals(written, again, () -> "config of " + document + " does not read back");
  }
}

package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcPolicyTest {
  @TempDir Path dir;

  private String error(String json) throws IOException {
    Path file = Files.writeString(dir.resolve("gc.json"), json);
    return assertThrows(IOException.class, () -> GcPolicy.load(file)).getMessage();
  }

  @Test
  void readsSizesAndDurationsAsDockerWritesThem() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("gc.json"),
            "{\"keepStorage\": \"10GB\", \"keepDuration\": \"1h30m\", \"minFreeSpace\": \"512MB\"}");
    assertEquals(
        Optional.of(
            new GcPolicy(
                Optional.of(10L << 30),
                Optional.of(Duration.ofMinutes(90)),
                Optional.of(512L << 20))),
        GcPolicy.load(file));
    assertEquals(Optional.empty(), GcPolicy.load(dir.resolve("absent.json")));
    assertEquals(
        dir.resolve("gc.json"), GcPolicy.defaultFile(Map.of("KILN_CONFIG", dir.toString())));
  }

  @Test
  void badSettingsNameTheFileAndTheSetting() throws IOException {
    assertTrue(error("{nope").contains("gc.json: not JSON"));
    assertTrue(error("[]").contains("expected an object"));
    assertTrue(error("{\"keepStorag\": \"1GB\"}").contains("unknown setting keepStorag"));
    assertTrue(error("{\"keepStorage\": \"lots\"}").contains("\"lots\" is not a size"));
    assertTrue(error("{\"keepDuration\": 5}").contains("keepDuration must be a string"));
  }
}

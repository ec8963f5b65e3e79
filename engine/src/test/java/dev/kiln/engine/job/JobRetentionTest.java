package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRetentionTest {
  @TempDir Path dir;

  private String error(String json) throws IOException {
    Path file = Files.writeString(dir.resolve("jobs.json"), json);
    return assertThrows(IOException.class, () -> JobRetention.load(file)).getMessage();
  }

  @Test
  void keepsEndedJobsAsLongAsTheFileSaysElseFortyEightHours() throws IOException {
    Path file = Files.writeString(dir.resolve("jobs.json"), "{\"keepDuration\": \"7d\"}");
    assertEquals(Duration.ofDays(7), JobRetention.load(file));
    Files.writeString(file, "{\"keepDuration\": \"0s\"}");
    assertEquals(Duration.ZERO, JobRetention.load(file));
    Files.writeString(file, "{}");
    assertEquals(Duration.ofHours(48), JobRetention.load(file));
    assertEquals(Duration.ofHours(48), JobRetention.load(dir.resolve("absent.json")));
    assertEquals(
        dir.resolve("jobs.json"), JobRetention.defaultFile(Map.of("KILN_CONFIG", dir.toString())));
  }

  @Test
  void badSettingsNameTheFileAndWhatIsWrong() throws IOException {
    assertTrue(error("{nope").contains("jobs.json: not JSON"));
    assertTrue(error("\"48h\"").contains("jobs.json: expected an object"));
    assertTrue(error("{\"keep\": \"1h\"}").contains("unknown setting keep (known: keepDuration)"));
    assertTrue(error("{\"keepDuration\": \"forever\"}").contains("\"forever\" is not a duration"));
    assertTrue(error("{\"keepDuration\": -1}").contains("keepDuration must be a string"));
    assertTrue(error("{\"keepDuration\": \"-5h\"}").contains("is not a duration"));
    Files.write(dir.resolve("jobs.json"), new byte[70 * 1024]);
    assertTrue(
        assertThrows(IOException.class, () -> JobRetention.load(dir.resolve("jobs.json")))
            .getMessage()
            .contains("larger than 64 KiB"));
  }
}

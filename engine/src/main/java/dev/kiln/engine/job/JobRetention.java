package dev.kiln.engine.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.cache.Quantities;
import dev.kiln.engine.cache.SettingsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How long an ended build job is kept before its events are erased: read from {@code
 * $KILN_CONFIG/jobs.json} (else {@code ~/.config/kiln/jobs.json}), {@code {"keepDuration": "48h"}};
 * {@link JobHistory#DEFAULT_KEEP} without the file or the setting.
 */
public final class JobRetention {
  private JobRetention() {}

  /** {@code $KILN_CONFIG/jobs.json}, else {@code ~/.config/kiln/jobs.json}. */
  public static Path defaultFile(Map<String, String> env) {
    return SettingsFile.defaultFile(env, "jobs.json");
  }

  /** The retention {@code file} sets; throws naming the file and what is wrong. */
  public static Duration load(Path file) throws IOException {
    Optional<JsonNode> json =
        SettingsFile.read(file, Set.of("keepDuration"), "{\"keepDuration\": \"48h\"}");
    try {
      return json.flatMap(settings -> SettingsFile.text(settings, "keepDuration"))
          .map(Quantities::parseDuration)
          .orElse(JobHistory.DEFAULT_KEEP);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}

package dev.kiln.engine.registry;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.content.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Docker's client configuration file, {@code $DOCKER_CONFIG/config.json} or {@code
 * ~/.docker/config.json}: read as a JSON tree, rewritten whole (other entries kept) through a temp
 * file of mode 0600 and an atomic rename.
 */
public final class DockerConfigFile {
  private static final long MAX_FILE = 4 * 1024 * 1024;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Path file;

  public DockerConfigFile(Path file) {
    this.file = file;
  }

  /** Where Docker looks: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
  public static DockerConfigFile locate(Map<String, String> env) {
    String dir = env.get("DOCKER_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return new DockerConfigFile(Path.of(dir, "config.json"));
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return new DockerConfigFile(Path.of(home, ".docker", "config.json"));
  }

  public Path path() {
    return file;
  }

  /** The file's content; an empty object when it does not exist. */
  public ObjectNode read() throws IOException {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE) {
        throw new IOException(file + ": larger than " + MAX_FILE + " bytes");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return JSON.createObjectNode();
    }
    if (bytes.length == 0) {
      return JSON.createObjectNode();
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!(root instanceof ObjectNode object)) {
      throw new IOException(file + ": expected a JSON object");
    }
    return object;
  }

  /** Replaces the file with {@code content}, atomically, readable by its owner only. */
  public void write(ObjectNode content) throws IOException {
    AtomicFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(content), true);
  }
}

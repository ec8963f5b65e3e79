package dev.kiln.engine.progress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.run.LogStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Progress events as one JSON object per line ({@code --progress=rawjson}, and the daemon's event
 * stream): {@code {"type":"started","vertex":"sha256:…","name":"[2/3] RUN make","at":"…"}}.
 * Durations are milliseconds. Reading checks every field and names what is wrong.
 */
public final class ProgressJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ProgressJson() {}

  /** The event as one line of JSON (no newline). */
  public static String write(ProgressEvent event) {
    ObjectNode json = JSON.createObjectNode();
    if (event instanceof ProgressEvent.VertexMissed e) {
      vertex(json, "missed", e.vertex(), e.name());
      json.put("key", e.key().toString());
      json.put("opDigest", e.opDigest());
      e.inputs().forEach(json.putArray("inputs")::add);
      json.put("ignoredCache", e.ignoredCache());
    } else if (event instanceof ProgressEvent.VertexStarted e) {
      vertex(json, "started", e.vertex(), e.name());
      json.put("at", e.at().toString());
    } else if (event instanceof ProgressEvent.VertexCached e) {
      vertex(json, "cached", e.vertex(), e.name());
      json.put("key", e.key().toString());
    } else if (event instanceof ProgressEvent.VertexCompleted e) {
      vertex(json, "completed", e.vertex(), e.name());
      json.put("tookMs", e.took().toMillis());
    } else if (event instanceof ProgressEvent.VertexRecorded e) {
      vertex(json, "recorded", e.vertex(), e.name());
      json.put("key", e.key().toString());
    } else if (event instanceof ProgressEvent.VertexFailed e) {
      vertex(json, "failed", e.vertex(), e.name());
      json.put("error", e.error());
      json.put("tookMs", e.took().toMillis());
    } else if (event instanceof ProgressEvent.VertexLog e) {
      json.put("type", "log");
      json.put("vertex", e.vertex().toString());
      json.put("stream", e.stream().name().toLowerCase(java.util.Locale.ROOT));
      json.put("line", e.line());
      json.put("sinceStartMs", e.sinceStart().toMillis());
    } else if (event instanceof ProgressEvent.Ended e) {
      json.put("type", "ended");
      json.put("succeeded", e.succeeded());
    }
    return json.toString();
  }

  private static void vertex(ObjectNode json, String type, Digest vertex, String name) {
    json.put("type", type);
    json.put("vertex", vertex.toString());
    json.put("name", name);
  }

  /** Reads one line written by {@link #write}; throws, naming the problem, on anything else. */
  public static ProgressEvent read(String line) throws IOException {
    JsonNode json;
    try {
      json = JSON.readTree(line);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException("progress event is not JSON: " + e.getOriginalMessage(), e);
    }
    if (json == null || !json.isObject()) {
      throw new IOException("progress event is not a JSON object");
    }
    try {
      String type = text(json, "type");
      return switch (type) {
        case "missed" ->
            new ProgressEvent.VertexMissed(
                digest(json, "vertex"),
                text(json, "name"),
                digest(json, "key"),
                text(json, "opDigest"),
                strings(json, "inputs"),
                json.path("ignoredCache").asBoolean());
        case "started" ->
            new ProgressEvent.VertexStarted(
                digest(json, "vertex"), text(json, "name"), Instant.parse(text(json, "at")));
        case "cached" ->
            new ProgressEvent.VertexCached(
                digest(json, "vertex"), text(json, "name"), digest(json, "key"));
        case "completed" ->
            new ProgressEvent.VertexCompleted(
                digest(json, "vertex"), text(json, "name"), millis(json, "tookMs"));
        case "recorded" ->
            new ProgressEvent.VertexRecorded(
                digest(json, "vertex"), text(json, "name"), digest(json, "key"));
        case "failed" ->
            new ProgressEvent.VertexFailed(
                digest(json, "vertex"),
                text(json, "name"),
                text(json, "error"),
                millis(json, "tookMs"));
        case "log" ->
            new ProgressEvent.VertexLog(
                digest(json, "vertex"),
                LogStream.valueOf(text(json, "stream").toUpperCase(java.util.Locale.ROOT)),
                text(json, "line"),
                millis(json, "sinceStartMs"));
        case "ended" -> new ProgressEvent.Ended(json.path("succeeded").asBoolean());
        default -> throw new IOException("unknown progress event type \"" + type + "\"");
      };
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw new IOException("bad progress event: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode json, String field) throws IOException {
    JsonNode value = json.get(field);
    if (value == null || !value.isTextual()) {
      throw new IOException("progress event: \"" + field + "\" is missing or not a string");
    }
    return value.asText();
  }

  private static Digest digest(JsonNode json, String field) throws IOException {
    return Digest.parse(text(json, field));
  }

  private static Duration millis(JsonNode json, String field) throws IOException {
    JsonNode value = json.get(field);
    if (value == null || !value.canConvertToLong()) {
      throw new IOException("progress event: \"" + field + "\" is missing or not a number");
    }
    return Duration.ofMillis(value.asLong());
  }

  private static List<String> strings(JsonNode json, String field) throws IOException {
    List<String> values = new ArrayList<>();
    for (JsonNode value : json.path(field)) {
      if (!value.isTextual()) {
        throw new IOException("progress event: \"" + field + "\" holds a non-string");
      }
      values.add(value.asText());
    }
    return values;
  }
}

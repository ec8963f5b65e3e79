package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.cache.CachePruner;
import dev.kiln.engine.cache.CacheRecord;
import dev.kiln.engine.cache.CacheUsage;
import dev.kiln.engine.cache.KeyParts;
import dev.kiln.engine.cache.PrunePolicy;
import dev.kiln.engine.graph.Digest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cache's disk usage, a prune's policy and a prune's result in the daemon API's JSON
 * (docs/api.md), both ways: the daemon writes what {@code kiln du} and {@code kiln prune} read.
 */
public final class CacheJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CacheJson() {}

  /** {@code GET /v1/du}'s answer. */
  public static ObjectNode usage(CacheUsage.Report report) {
    ObjectNode json = JSON.createObjectNode();
    ArrayNode records = json.putArray("records");
    for (CacheUsage.RecordUsage usage : report.records()) {
      ObjectNode r = records.addObject();
      r.put("key", usage.key().value());
      r.put("kind", usage.record().kind());
      r.put("description", usage.record().description());
      r.put("created", usage.record().createdMillis());
      r.put("lastUsed", usage.record().lastUsedMillis());
      ArrayNode outputs = r.putArray("outputs");
      usage.record().outputs().forEach(stack -> stack.forEach(outputs.addArray()::add));
      r.put("privateBytes", usage.privateBytes());
      r.put("sharedBytes", usage.sharedBytes());
    }
    json.put("privateBytes", report.privateBytes());
    json.put("sharedBytes", report.sharedBytes());
    json.put("orphanBytes", report.orphanBytes());
    json.put("orphanLayers", report.orphanLayers());
    json.put("blobs", report.blobs());
    json.put("blobBytes", report.blobBytes());
    json.put("totalBytes", report.totalBytes());
    return json;
  }

  /** Reads {@link #usage(CacheUsage.Report)}'s JSON; throws naming what is wrong. */
  public static CacheUsage.Report usage(JsonNode json) {
    List<CacheUsage.RecordUsage> records = new ArrayList<>();
    for (JsonNode r : array(json, "records")) {
      List<List<String>> outputs = new ArrayList<>();
      for (JsonNode stack : array(r, "outputs")) {
        List<String> layers = new ArrayList<>();
        stack.forEach(layer -> layers.add(layer.asText()));
        outputs.add(layers);
      }
      CacheRecord record =
          new CacheRecord(
              outputs,
              text(r, "kind"),
              text(r, "description"),
              KeyParts.NONE,
              number(r, "created"),
              number(r, "lastUsed"));
      records.add(
          new CacheUsage.RecordUsage(
              Digest.parse(text(r, "key")),
              record,
              number(r, "privateBytes"),
              number(r, "sharedBytes")));
    }
    return new CacheUsage.Report(
        records,
        number(json, "privateBytes"),
        number(json, "sharedBytes"),
        number(json, "orphanBytes"),
        (int) number(json, "orphanLayers"),
        (int) number(json, "blobs"),
        number(json, "blobBytes"),
        number(json, "totalBytes"));
  }

  /** {@code POST /v1/prune}'s body. */
  public static ObjectNode policy(PrunePolicy policy) {
    ObjectNode json = JSON.createObjectNode();
    json.put("all", policy.all());
    policy.unusedFor().ifPresent(d -> json.put("unusedForMillis", d.toMillis()));
    policy.keepBytes().ifPresent(b -> json.put("keepBytes", b));
    return json;
  }

  /** Reads {@link #policy(PrunePolicy)}'s JSON; throws naming what is wrong. */
  public static PrunePolicy policy(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("the prune policy must be a JSON object");
    }
    JsonNode all = json.path("all");
    if (!all.isMissingNode() && !all.isBoolean()) {
      throw new IllegalArgumentException("\"all\" must be true or false");
    }
    return new PrunePolicy(
        all.asBoolean(false),
        optionalNumber(json, "unusedForMillis").map(Duration::ofMillis),
        optionalNumber(json, "keepBytes"));
  }

  /** {@code POST /v1/prune}'s answer. */
  public static ObjectNode pruned(CachePruner.Pruned pruned) {
    ObjectNode json = JSON.createObjectNode();
    json.put("records", pruned.records());
    json.put("layers", pruned.layers());
    json.put("blobs", pruned.blobs());
    json.put("bytes", pruned.bytes());
    return json;
  }

  /** Reads {@link #pruned(CachePruner.Pruned)}'s JSON. */
  public static CachePruner.Pruned pruned(JsonNode json) {
    return new CachePruner.Pruned(
        (int) number(json, "records"),
        (int) number(json, "layers"),
        (int) number(json, "blobs"),
        number(json, "bytes"));
  }

  private static JsonNode array(JsonNode json, String field) {
    JsonNode value = json.path(field);
    if (!value.isArray()) {
      throw new IllegalArgumentException("\"" + field + "\" must be an array");
    }
    return value;
  }

  private static String text(JsonNode json, String field) {
    JsonNode value = json.path(field);
    if (!value.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a string");
    }
    return value.asText();
  }

  private static long number(JsonNode json, String field) {
    return optionalNumber(json, field)
        .orElseThrow(() -> new IllegalArgumentException("\"" + field + "\" is missing"));
  }

  private static Optional<Long> optionalNumber(JsonNode json, String field) {
    JsonNode value = json.path(field);
    if (value.isMissingNode()) {
      return Optional.empty();
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a whole number");
    }
    return Optional.of(value.asLong());
  }
}

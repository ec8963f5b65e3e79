package dev.kiln.frontend.dockerfile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads and writes {@link ImageConfig} in the OCI image configuration's JSON form. */
public final class ImageConfigJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ImageConfigJson() {}

  /** The run configuration of an OCI image config document (its {@code config} object). */
  public static ImageConfig read(JsonNode document) {
    JsonNode c = document.path("config");
    ImageConfig config = new ImageConfig();
    strings(c.path("Env")).forEach(config.env::add);
    config.cmd = optionalStrings(c.path("Cmd"));
    config.entrypoint = optionalStrings(c.path("Entrypoint"));
    config.workingDir = c.path("WorkingDir").asText("");
    config.user = c.path("User").asText("");
    c.path("Labels")
        .fields()
        .forEachRemaining(e -> config.labels.put(e.getKey(), e.getValue().asText()));
    c.path("ExposedPorts").fieldNames().forEachRemaining(config.exposedPorts::add);
    c.path("Volumes").fieldNames().forEachRemaining(config.volumes::add);
    config.stopSignal = c.path("StopSignal").asText("");
    config.onBuild.addAll(strings(c.path("OnBuild")));
    config.shell = strings(c.path("Shell"));
    for (JsonNode h : document.path("history")) {
      config.history.add(
          new ImageConfig.History(
              h.path("created_by").asText(""), h.path("empty_layer").asBoolean()));
    }
    return config;
  }

  /** The OCI image config document for {@code config} on linux/amd64, without rootfs. */
  public static ObjectNode write(ImageConfig config) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("architecture", "amd64");
    doc.put("os", "linux");
    ObjectNode c = doc.putObject("config");
    array(c, "Env", config.env());
    config.entrypoint().ifPresent(e -> array(c, "Entrypoint", e));
    config.cmd().ifPresent(cmd -> array(c, "Cmd", cmd));
    putIfSet(c, "WorkingDir", config.workingDir());
    putIfSet(c, "User", config.user());
    if (!config.labels().isEmpty()) {
      ObjectNode labels = c.putObject("Labels");
      config.labels.forEach(labels::put);
    }
    if (!config.exposedPorts.isEmpty()) {
      ObjectNode ports = c.putObject("ExposedPorts");
      config.exposedPorts.forEach(p -> ports.putObject(p));
    }
    if (!config.volumes.isEmpty()) {
      ObjectNode volumes = c.putObject("Volumes");
      config.volumes.forEach(v -> volumes.putObject(v));
    }
    putIfSet(c, "StopSignal", config.stopSignal());
    config
        .healthcheck()
        .ifPresent(
            h -> {
              ObjectNode hc = c.putObject("Healthcheck");
              array(hc, "Test", h.test());
              putIfPositive(hc, "Interval", h.interval());
              putIfPositive(hc, "Timeout", h.timeout());
              putIfPositive(hc, "StartPeriod", h.startPeriod());
              putIfPositive(hc, "StartInterval", h.startInterval());
              if (h.retries() > 0) {
                hc.put("Retries", h.retries());
              }
            });
    if (!config.onBuild.isEmpty()) {
      array(c, "OnBuild", config.onBuild());
    }
    if (!config.shell().isEmpty()) {
      array(c, "Shell", config.shell());
    }
    putIfSet(doc, "author", config.author());
    ArrayNode history = doc.putArray("history");
    for (ImageConfig.History h : config.history()) {
      ObjectNode entry = history.addObject();
      entry.put("created_by", h.createdBy());
      entry.put("comment", "buildkit.dockerfile.v0");
      if (h.emptyLayer()) {
        entry.put("empty_layer", true);
      }
    }
    return doc;
  }

  private static void putIfSet(ObjectNode node, String key, String value) {
    if (!value.isEmpty()) {
      node.put(key, value);
    }
  }

  private static void putIfPositive(ObjectNode node, String key, long value) {
    if (value > 0) {
      node.put(key, value);
    }
  }

  private static void array(ObjectNode node, String key, List<String> values) {
    ArrayNode array = node.putArray(key);
    values.forEach(array::add);
  }

  private static List<String> strings(JsonNode node) {
    List<String> values = new ArrayList<>();
    node.forEach(v -> values.add(v.asText()));
    return values;
  }

  private static Optional<List<String>> optionalStrings(JsonNode node) {
    return node.isArray() ? Optional.of(strings(node)) : Optional.empty();
  }
}

package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageHistoryTest {
  private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
  private static final Instant EPOCH = Instant.parse("2024-01-01T00:00:00Z");

  private static List<ObjectNode> entries(String... spec) throws Exception {
    List<ObjectNode> entries = new ArrayList<>();
    for (String s : spec) {
      entries.add((ObjectNode) ImageFixture.JSON.readTree(s));
    }
    return entries;
  }

  private static List<String> shape(ArrayNode history) {
    List<String> shape = new ArrayList<>();
    for (JsonNode h : history) {
      shape.add(h.path("created_by").asText("?") + (h.path("empty_layer").asBoolean() ? "-" : "+"));
    }
    return shape;
  }

  @Test
  void moreLayerEntriesThanLayersTurnsTheTopOnesEmpty() throws Exception {
    ArrayNode history =
        ImageHistory.reconcile(
            entries("{\"created_by\":\"a\"}", "{\"created_by\":\"b\"}", "{\"created_by\":\"c\"}"),
            List.of(true, true),
            NOW,
            Optional.empty());
    assertEquals(List.of("a+", "b+", "c-"), shape(history));
  }

  @Test
  void layersWithoutAnEntryGetOneAppended() throws Exception {
    ArrayNode history =
        ImageHistory.reconcile(
            entries("{\"created_by\":\"a\"}", "{\"created_by\":\"e\",\"empty_layer\":true}"),
            List.of(true, true, true),
            NOW,
            Optional.empty());
    assertEquals(List.of("a+", "e-", "?+", "?+"), shape(history));
    assertEquals(ImageHistory.ADDED_COMMENT, history.get(3).path("comment").asText());
  }

  @Test
  void anEmptiedLayerMarksItsEntryAndTheCountsThenAgree() throws Exception {
    ArrayNode history =
        ImageHistory.reconcile(
            entries(
                "{\"created_by\":\"a\"}",
                "{\"created_by\":\"env\",\"empty_layer\":true}",
                "{\"created_by\":\"run\"}",
                "{\"created_by\":\"copy\"}"),
            List.of(true, false, true),
            NOW,
            Optional.empty());
    assertEquals(List.of("a+", "env-", "run-", "copy+"), shape(history));
  }

  @Test
  void timesAreFilledInAndNoneIsLaterThanTheEpoch() throws Exception {
    ArrayNode history =
        ImageHistory.reconcile(
            entries(
                "{\"created\":\"2020-05-05T05:05:05Z\",\"created_by\":\"old base\"}",
                "{\"created\":\"2025-05-05T05:05:05Z\",\"created_by\":\"newer\"}",
                "{\"created_by\":\"no time\",\"empty_layer\":true}"),
            List.of(true, true),
            NOW,
            Optional.of(EPOCH));
    assertEquals("2020-05-05T05:05:05Z", history.get(0).path("created").asText());
    assertEquals(EPOCH.toString(), history.get(1).path("created").asText());
    assertEquals(EPOCH.toString(), history.get(2).path("created").asText());
    ArrayNode unclamped =
        ImageHistory.reconcile(
            entries("{\"created_by\":\"no time\"}"), List.of(true), NOW, Optional.empty());
    assertEquals(NOW.toString(), unclamped.get(0).path("created").asText());
    assertEquals(
        "[\"created\",\"created_by\"]",
        ImageFixture.JSON.valueToTree(iterable(unclamped.get(0).fieldNames())).toString());
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> list = new ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }

  @Test
  void timesAreWrittenAsGoWritesThem() {
    assertEquals(
        "2026-11-26T19:44:54.46750704Z",
        ImageConfigDocument.goTime(java.time.Instant.parse("2026-11-26T19:44:54.467507040Z")));
    assertEquals(
        "2026-11-26T19:44:54.1Z",
        ImageConfigDocument.goTime(java.time.Instant.parse("2026-11-26T19:44:54.100Z")));
    assertEquals(
        "2026-11-26T19:44:54Z",
        ImageConfigDocument.goTime(java.time.Instant.parse("2026-11-26T19:44:54Z")));
    assertEquals(
        "1970-01-01T00:00:00.000000001Z",
        ImageConfigDocument.goTime(java.time.Instant.ofEpochSecond(0, 1)));
  }
}
